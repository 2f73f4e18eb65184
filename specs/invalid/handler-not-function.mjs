// Exports data, not a handler: loading the config must fail.
export default { handle: 'not a function' };
export const version = 1;
