/**
 * The resource of an account-level playbook (a setting of the account in one region): Config reports it as
 * `AWS::::Account` with the account id, Security Hub as `AwsAccount`.
 */
export const ACCOUNT_RESOURCE = {
  type: 'AWS::::Account',
  idPattern: /^\d{12}$/,
  securityHubType: 'AwsAccount',
} as const;
