/**
 * AWS error names that say the target (or its sub-configuration) does not exist. Pure, so the workflow can read an
 * activity failure's type with the same rule the activities classify by.
 */

/** True for `NotFound`, `NoSuch…`, `…NotFound` and `…NotFoundException` names. */
export function isNotFoundName(name: string): boolean {
  return (
    name === 'NotFound' ||
    name.startsWith('NoSuch') ||
    name.endsWith('NotFound') ||
    name.endsWith('NotFoundException')
  );
}
