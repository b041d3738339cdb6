// What every BigQuery adapter shares: a client for an endpoint and credentials, and a query read page by page.
import { BigQuery, type BigQueryOptions, type Query } from '@google-cloud/bigquery';

/** How to reach BigQuery; no Google type leaks into a port. */
export type BigQueryConnection = {
  /** The project that runs (and pays for) the query jobs. */
  readonly projectId: string;
  /**
   * Another endpoint than BigQuery's (`http://127.0.0.1:9050` for a local fake or emulator). Over
   * plain `http://` no Google credentials are sent (see `credentials`).
   */
  readonly apiEndpoint?: string;
  /** The data's location, for query jobs (`US`, `EU`, `europe-west1`...); BigQuery infers it when absent. */
  readonly location?: string;
  /**
   * `application-default`: Google's application default credentials (Cloud Run's service account).
   * `none`: no Authorization header, for a local fake or emulator. Default: `none` when apiEndpoint is
   * plain `http://` (a token is never sent in the clear), else `application-default`.
   */
  readonly credentials?: 'application-default' | 'none';
};

/** A named query parameter: its GoogleSQL type (`['STRING']` for an array) and value. */
export type QueryParam = { readonly type: string | string[]; readonly value: unknown };
export type QueryParams = Record<string, QueryParam>;
export type QueryRow = Record<string, unknown>;

/** One page of query results as the client resolves it: rows, the next request, the API response. */
type Page = [QueryRow[], unknown, PageResponse | undefined];
/** The fields of a jobs.query / getQueryResults response that paging needs. */
type PageResponse = {
  readonly jobComplete?: boolean | null;
  readonly pageToken?: string | null;
  readonly jobReference?: { readonly jobId?: string | null; readonly location?: string | null } | null;
};

/** A client for the connection: credentials unless the endpoint is plain http (or `credentials: 'none'`). */
export function openBigQueryClient(connection: BigQueryConnection): BigQuery {
  const settings: BigQueryOptions = { projectId: connection.projectId };
  if (connection.apiEndpoint !== undefined) settings.apiEndpoint = connection.apiEndpoint;
  if (connection.location !== undefined) settings.location = connection.location;
  const plain = connection.apiEndpoint?.startsWith('http://') ?? false;
  if ((connection.credentials ?? (plain ? 'none' : 'application-default')) === 'none') {
    // An auth client that adds no header and fetches nothing: no token request, no metadata server probe.
    const anonymous = { getRequestHeaders: async () => new Headers() };
    settings.authClient = anonymous as unknown as BigQueryOptions['authClient'];
  }
  return new BigQuery(settings);
}

/**
 * Runs one GoogleSQL query with named parameters and yields its result pages (`pageSize` rows at
 * most). The result set is fixed when the job runs, so the pages are one snapshot. Cells come as
 * the REST API sends them (`parseJSON: false`, integers unwrapped).
 */
export async function* queryPages(bq: BigQuery, sql: string, params: QueryParams, pageSize: number, location?: string): AsyncGenerator<QueryRow[]> {
  const query: Query = { query: sql, params: {}, types: {}, parseJSON: false, wrapIntegers: false };
  if (location !== undefined) query.location = location;
  for (const [name, p] of Object.entries(params)) {
    (query.params as Record<string, unknown>)[name] = p.value;
    (query.types as Record<string, string | string[]>)[name] = p.type;
  }
  // Both calls resolve [rows, nextQuery, response] (the library's typing of query() omits the response).
  let [rows, , response] = (await bq.query(query, { autoPaginate: false, maxResults: pageSize })) as unknown as Page;
  for (;;) {
    const complete = response?.jobComplete !== false;
    if (complete && rows.length > 0) yield rows;
    const token = response?.pageToken ?? undefined;
    if (complete && token === undefined) return;
    const job = response?.jobReference;
    if (job?.jobId == null) throw new Error('BigQuery answered a query without a job reference to read its results from');
    // An unfinished job is polled again (getQueryResults waits up to 10 s on the server each time).
    [rows, , response] = (await bq
      .job(job.jobId, job.location == null ? {} : { location: job.location })
      .getQueryResults({ maxResults: pageSize, autoPaginate: false, ...(complete ? { pageToken: token } : {}) })) as unknown as Page;
  }
}
