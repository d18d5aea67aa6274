// What the file screens (batch files, reconciliation) share: a CSV file picked with the browser's
// own file field (reached with Tab, opened with Enter or Space) and the sending of it — busy while
// it goes, the node's refusal shown as an error line.
import { Form } from "antd";
import { useState } from "react";
import { describe } from "./common.tsx";

/** A labelled file field for one CSV file; `onFile` gets the chosen file, or undefined. */
export function CsvFileField({
  id,
  label,
  onFile,
}: {
  id: string;
  label: string;
  onFile: (file: File | undefined) => void;
}) {
  return (
    <Form.Item label={label} htmlFor={id}>
      <input id={id} type="file" accept=".csv,text/csv" onChange={(e) => onFile(e.target.files?.[0])} />
    </Form.Item>
  );
}

/** The chosen file and its sending: `send(fn)` runs `fn` with the file, or names `missing` when none is chosen. */
export function useFileSend(missing: string) {
  const [file, setFile] = useState<File>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const send = async (fn: (text: string) => Promise<void>, refused?: (e: unknown) => void) => {
    if (file === undefined) return setError(missing);
    setBusy(true);
    setError(undefined);
    try {
      await fn(await file.text());
    } catch (e) {
      setError(describe(e));
      refused?.(e);
    } finally {
      setBusy(false);
    }
  };
  return { setFile, busy, error, send };
}
