// Deliberately broken JavaScript: importing it must fail at config load.
export default function handler(body {
  return body;
}
