// A button that copies a text to the clipboard and reports whether that worked.

import { useState } from 'react';

interface Props {
  text: string;
  /** Accessible name of the button, e.g. "Copy correlation ID". */
  label: string;
}

type CopyResult = 'idle' | 'copied' | 'failed';

export function CopyButton({ text, label }: Props) {
  const [result, setResult] = useState<CopyResult>('idle');

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setResult('copied');
    } catch {
      setResult('failed');
    }
  };

  return (
    <>
      <button type="button" className="button button-small" aria-label={label} onClick={copy}>
        Copy
      </button>
      <span className="copy-result" role="status">
        {result === 'copied' && 'Copied'}
        {result === 'failed' && 'Copy failed: select the ID and copy it by hand'}
      </span>
    </>
  );
}
