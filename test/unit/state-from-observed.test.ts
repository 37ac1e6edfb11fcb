/**
 * Playbooks whose analysis and verification make the very read their prior-state capture makes take that state from
 * the observation instead of reading again; anything else in an observation must mean "read it yourself".
 */
import type { AwsClients } from '../../src/aws/clients';
import { kitHandler } from '../../src/kit/kit-handler';
import { ebsEncryptionByDefault } from '../../src/playbooks/ebs-encryption-by-default';
import { s3BlockPublicAccess } from '../../src/playbooks/s3-block-public-access';

// The conversions make no AWS call; a client factory that is never used is enough.
const noClients = { forFamily: () => noClients } as unknown as AwsClients;
const block = {
  BlockPublicAcls: true,
  IgnorePublicAcls: false,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: false,
};

it('s3-block-public-access: the recorded block, or none, from what the analysis or verification saw', () => {
  const { stateFromObserved } = kitHandler(s3BlockPublicAccess, noClients);
  expect(stateFromObserved?.({ exists: true, publicAccessBlock: block })).toEqual({
    publicAccessBlock: block,
  });
  expect(stateFromObserved?.({ exists: true, publicAccessBlock: null })).toEqual({ publicAccessBlock: null });
  expect(stateFromObserved?.({ publicAccessBlock: block })).toEqual({ publicAccessBlock: block });
});

it('s3-block-public-access: a missing bucket or a malformed block is read again', () => {
  const { stateFromObserved } = kitHandler(s3BlockPublicAccess, noClients);
  expect(stateFromObserved?.({ exists: false })).toBeUndefined();
  expect(stateFromObserved?.({ publicAccessBlock: { ...block, BlockPublicAcls: 'yes' } })).toBeUndefined();
  expect(stateFromObserved?.({ publicAccessBlock: 'on' })).toBeUndefined();
});

it('ebs-encryption-by-default: the setting from what was observed, and nothing from an observation without it', () => {
  const { stateFromObserved } = kitHandler(ebsEncryptionByDefault, noClients);
  expect(stateFromObserved?.({ ebsEncryptionByDefault: false })).toEqual({ ebsEncryptionByDefault: false });
  expect(stateFromObserved?.({ ebsEncryptionByDefault: true })).toEqual({ ebsEncryptionByDefault: true });
  expect(stateFromObserved?.({})).toBeUndefined();
  expect(stateFromObserved?.({ ebsEncryptionByDefault: 'true' })).toBeUndefined();
});
