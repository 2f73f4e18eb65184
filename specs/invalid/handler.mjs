// A valid handler, so that the other invalid specs fail only for their own reason.
export default function handler() {}
