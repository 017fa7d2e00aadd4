// An on/off setting from the environment: "true" or "false"; unset or empty leaves the default; anything else is an
// error naming the variable (a typo must not silently pick one).
export function parseSwitch(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value !== 'true' && value !== 'false') throw new Error(`${name} must be "true" or "false", not "${value}"`);
  return value === 'true';
}
