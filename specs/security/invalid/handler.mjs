// A handler for the invalid cases; they fail before it could run.
export default async function handler() {}
