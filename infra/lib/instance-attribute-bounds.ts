/**
 * Denies that keep `ec2:ModifyInstanceAttribute` from running code on an instance, beside the conditioned Allows of
 * the network role (worker-permissions.ts: only `DisableApiTermination` and `InstanceInitiatedShutdownBehavior`).
 *
 * Condition keys, from the Service Authorization Reference for Amazon EC2 (ModifyInstanceAttribute, resource
 * `instance*`: `ec2:Attribute`, `ec2:Attribute/${AttributeName}`; read from its machine-readable copy,
 * iann0036/iam-dataset aws/iam_definition.json) and the EC2 User Guide ("ec2:Attribute condition key"): `ec2:Attribute`
 * is the request's primitive `Attribute` parameter (`userData` with `Value`), `ec2:Attribute/<Name>` the value of an
 * AttributeValue-shaped parameter (`UserData.Value`, `InstanceType.Value`, …). A request sets one attribute at a time.
 */
import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * Attributes that run code or change the machine, each with why. (sourceDestCheck, ebsOptimized and the like cannot
 * run code; the Allows do not grant them anyway.)
 */
export const DENIED_INSTANCE_ATTRIBUTES: Readonly<Record<string, string>> = {
  UserData: 'user data runs as root at the next boot (a stop and start away)',
  InstanceType: 'the instance type changes the hardware (and the bill)',
  Kernel: "a kernel of the caller's choice boots next",
  Ramdisk: "a ramdisk of the caller's choice boots next",
};

/** One Deny per attribute (keys in one condition are ANDed), and one for the `Attribute=<name>` form of the call. */
export function instanceAttributeDenies(): iam.PolicyStatement[] {
  return [
    ...Object.keys(DENIED_INSTANCE_ATTRIBUTES).map(
      (name) =>
        new iam.PolicyStatement({
          sid: `Deny${name}Change`,
          effect: iam.Effect.DENY,
          actions: ['ec2:ModifyInstanceAttribute'],
          resources: ['*'],
          conditions: { Null: { [`ec2:Attribute/${name}`]: 'false' } },
        }),
    ),
    new iam.PolicyStatement({
      sid: 'DenyCodeAttributeChange',
      effect: iam.Effect.DENY,
      actions: ['ec2:ModifyInstanceAttribute'],
      resources: ['*'],
      conditions: {
        StringEqualsIgnoreCase: {
          'ec2:Attribute': Object.keys(DENIED_INSTANCE_ATTRIBUTES).map(
            (name) => name.charAt(0).toLowerCase() + name.slice(1),
          ),
        },
      },
    }),
  ];
}

/** Adds the denies to a role. */
export function addInstanceAttributeDenies(role: iam.Role): void {
  for (const statement of instanceAttributeDenies()) role.addToPolicy(statement);
}
