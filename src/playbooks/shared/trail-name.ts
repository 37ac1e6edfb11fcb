/**
 * A CloudTrail trail name: 3–128 letters, digits, `.`, `_` or `-`, starting and ending with a letter or digit. Its
 * own module, so that a playbook needing only the shape imports no CloudTrail call with it.
 */
export const TRAIL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$/;
