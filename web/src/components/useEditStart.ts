// The record an edit form starts from. Its fields are initialised once from it, so a change
// elsewhere never wipes what is being typed; when the user asks for the latest values (the stale
// notice), the form starts again on them: `key` changes, which remounts it with fresh fields.
import { useState } from 'react';

export function useEditStart<T>(initial: T) {
  const [start, setStart] = useState({ record: initial, round: 0 });
  return {
    record: start.record,
    key: start.round,
    restart: (latest: T) => setStart((s) => ({ record: latest, round: s.round + 1 })),
  };
}
