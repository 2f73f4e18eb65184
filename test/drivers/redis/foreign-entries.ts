/** Stored entries no actorq process writes, each with the reason it must be given. */
export const MALFORMED: readonly { readonly label: string; readonly raw: string; readonly reason: RegExp }[] = [
  { label: 'a plain string', raw: 'hello', reason: /^malformed entry: not actorq framing: starts with "h"/ },
  { label: 'an empty string', raw: '', reason: /^malformed entry: empty entry$/ },
  { label: 'a bar without a stamp', raw: 'abc|["m",{},1]', reason: /^malformed entry: not actorq framing: starts with "a"/ },
  { label: 'a stamp without a message', raw: '99999999999|hello', reason: /^malformed entry: not actorq framing/ },
  { label: 'invalid JSON after [', raw: '[not json', reason: /^malformed entry: invalid JSON: Unexpected token/ },
  { label: 'invalid JSON after a stamp', raw: '99999999999999|[1,', reason: /^malformed entry: invalid JSON: / },
  { label: 'an unclosed array', raw: '[{"a":1}', reason: /^malformed entry: invalid JSON: .*position 8/ },
  { label: 'an object', raw: '{"a":1}', reason: /^malformed entry: not actorq framing: starts with "{"/ },
  { label: 'an array of one', raw: '["m1"]', reason: /^malformed entry: wrong shape: expected \[id, headers, body\], got an array of 1$/ },
  { label: 'an array of four', raw: '["m1",{},1,2]', reason: /got an array of 4$/ },
  { label: 'a numeric id', raw: '[7,{},1]', reason: /^malformed entry: wrong shape: id must be a non-empty string, got a number$/ },
  { label: 'an empty id', raw: '["",{},1]', reason: /id must be a non-empty string, got an empty string$/ },
  { label: 'a null body', raw: '["m1",{},null]', reason: /^malformed entry: wrong shape: body of message m1 is null$/ },
];
