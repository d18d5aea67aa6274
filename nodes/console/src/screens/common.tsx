// What every screen shares: loading a node answer with its error shown, an error line, and the
// tables the screens list things in, with the columns they all use.
import { Alert, Card, Table, type TableProps } from "antd";
import { useCallback, useEffect, useState } from "react";
import { NodeApiError } from "../../../client/api-error.ts";
import { beijingTime, percent, yuan } from "../format.ts";

export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]) {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const run = useCallback(load, deps);
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      setData(await run());
      setError(undefined);
    } catch (e) {
      setError(describe(e));
    } finally {
      setLoading(false);
    }
  }, [run]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, loading, reload };
}

export function describe(error: unknown): string {
  return error instanceof NodeApiError ? `${error.code}: ${error.message}` : (error as Error).message;
}

export function ErrorLine({ error }: { error: string | undefined }) {
  return error === undefined ? null : (
    <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} role="alert" />
  );
}

type Row = object;
// the rows fix the row type; the columns are checked against it
type ListProps<R extends Row> = Omit<
  TableProps<R>,
  "dataSource" | "size" | "scroll" | "columns" | "rowKey"
> & {
  columns: TableProps<NoInfer<R>>["columns"];
  rowKey: TableProps<NoInfer<R>>["rowKey"];
};

/**
 * A list the node answers, as a small table that scrolls sideways on a narrow screen, with the
 * error of loading it above; empty until the answer comes.
 */
export function ListTable<R extends Row>({
  loaded,
  rows,
  ...table
}: ListProps<R> & { loaded: { loading: boolean; error?: string | undefined }; rows: R[] | undefined }) {
  return (
    <>
      <ErrorLine error={loaded.error} />
      <Table<R>
        size="small"
        scroll={{ x: true }}
        loading={loaded.loading}
        dataSource={rows ?? []}
        {...table}
      />
    </>
  );
}

/** A part of a detail page: a small card holding one table, every row on one page. */
export function CardTable<R extends Row>({
  title,
  ...table
}: Omit<ListProps<R>, "title"> & { title: string; dataSource: R[] }) {
  return (
    <Card title={title} size="small">
      <Table<R> size="small" pagination={false} scroll={{ x: true }} {...table} />
    </Card>
  );
}

// The columns below hold no row type: each fits any table whose rows carry the field named.

/** An id in full, in monospace. */
export function codeColumn(title: string, dataIndex: string) {
  return { title, dataIndex, render: (id: string) => <code>{id}</code> };
}

/** Fen as yuan exact to the fen, right-aligned; none as "—". */
export function yuanColumn(title: string, dataIndex: string) {
  return { title, dataIndex, align: "right" as const, render: fenOrDash };
}

/** Basis points as a percentage, right-aligned. */
export function percentColumn(title: string, dataIndex: string) {
  return { title, dataIndex, align: "right" as const, render: (bps: number) => percent(bps) };
}

/** An instant (ms or ISO text) in Beijing time. */
export function timeColumn(title: string, dataIndex: string) {
  return { title, dataIndex, render: (at: number | string) => beijingTime(at) };
}

export const fenOrDash = (fen: string | null | undefined) =>
  fen === null || fen === undefined ? "—" : yuan(fen);
