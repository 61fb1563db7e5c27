// The Lambdas, as data. Each entry is one binary of the Cargo workspace (same name).
// Adding a function is one entry here: exactly which table actions and bucket
// prefixes it may use, its size and its concurrency cap; its routes come from
// shared/schema/routes.json, the route table the local gateway and the handler tests
// read too. The stack turns each entry into a RustFunction with its own role, log
// group, env vars, routes and alarms.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * A table's `name` in shared/schema/tables.json (checked at synth: an unknown name fails,
 * so the schema stays the only list of tables).
 */
export type TableName = string;
/** A bucket's `name` in shared/schema/tables.json (checked at synth). */
export type BucketName = 'content' | 'results';

/** DynamoDB actions, granted one by one on the table's ARN (never `dynamodb:*`). */
export type TableAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'Scan'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'ConditionCheckItem';

/**
 * S3 access as object key patterns (IAM wildcards: `*` matches across `/`), each under
 * the bucket's own prefix (`content/` or `results/`, as CONTRACT.md lays them out);
 * checked at synth. Only what the function reads or writes, never the whole prefix
 * when it needs less: a function that serves reports cannot read IMDi's bundle.
 */
export interface BucketGrant {
  /** s3:GetObject on these keys. */
  readonly read?: readonly string[];
  /** s3:PutObject on these keys. */
  readonly write?: readonly string[];
  /**
   * s3:ListBucket, for list requests whose prefix matches one of the `read` patterns:
   * with it a missing report is a 404 (NoSuchKey) and not an AccessDenied from S3.
   */
  readonly list?: boolean;
}

export type HttpMethodName = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteSpec {
  readonly method: HttpMethodName;
  /** API Gateway route path, e.g. `/api/surveys/{survey_id}`. */
  readonly path: string;
}

/** The route table, from this file: infra/lib -> repo root -> shared/schema. */
export const ROUTES_PATH = path.resolve(__dirname, '..', '..', 'shared', 'schema', 'routes.json');

interface RouteEntry extends RouteSpec {
  readonly function: string;
}

const METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Every route of the table, checked (a malformed entry fails synth). */
export const ROUTES: readonly RouteEntry[] = (() => {
  const file = JSON.parse(readFileSync(ROUTES_PATH, 'utf8')) as { routes?: unknown };
  if (!Array.isArray(file.routes)) throw new Error(`${ROUTES_PATH}: no routes`);
  return file.routes.map((r: Partial<RouteEntry>, i: number) => {
    if (!METHODS.includes(String(r.method)) || typeof r.path !== 'string' || !r.path.startsWith('/api/') || typeof r.function !== 'string') {
      throw new Error(`${ROUTES_PATH}: route ${i} needs {method, path: /api/..., function}`);
    }
    return { method: r.method as HttpMethodName, path: r.path, function: r.function };
  });
})();

/** The routes of one function. */
function routesOf(name: string): readonly RouteSpec[] {
  return ROUTES.filter((r) => r.function === name).map(({ method, path: p }) => ({ method, path: p }));
}

/** A nightly run through EventBridge Scheduler (see NightlySchedule). */
export interface ScheduleSpec {
  readonly hour: number;
  readonly minute: number;
  /** IANA time zone, e.g. Europe/Oslo (the run follows daylight saving time). */
  readonly timeZone: string;
}

export interface FunctionSpec {
  /** Cargo binary name and the function's name suffix. */
  readonly name: string;
  readonly description: string;
  readonly routes?: readonly RouteSpec[];
  readonly schedule?: ScheduleSpec;
  readonly tables?: Readonly<Partial<Record<TableName, readonly TableAction[]>>>;
  /**
   * The indexes a function queries, by table: its `Query` on that table is then granted
   * on exactly these index ARNs (names checked against the schema), never on the table
   * or on another index, and its other actions on the table alone. Without an entry, a
   * table whose only action is `Query` gets all of its indexes (see tableResources).
   */
  readonly indexes?: Readonly<Partial<Record<TableName, readonly string[]>>>;
  readonly buckets?: Readonly<Partial<Record<BucketName, BucketGrant>>>;
  /** Needs HASH_KEY (code digests, answer ids). Functions that only read waves do not. */
  readonly hashKey: boolean;
  /**
   * Sends e-mail through SES, from the stack's domain identity with its configuration
   * set; gets MAIL_FROM, SITE_URL and SES_CONFIGURATION_SET. Only the mail worker
   * (`send-mail`) does: request handlers queue a job instead (`mail: 'queue'`).
   */
  readonly sendsEmail?: boolean;
  /**
   * Its parts in the mail queue (MailQueue): `queue` puts jobs on it (sqs:SendMessage,
   * env MAIL_QUEUE_URL), `consume` is triggered by it (the mail worker, which also
   * queues: a scheduled reminder becomes one job per recipient due one).
   */
  readonly mail?: readonly ('queue' | 'consume')[];
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /**
   * Reserved concurrency: a hard cap so that a flood (or a retry storm) cannot run up
   * DynamoDB/SES costs or starve the other functions. Omit for no reservation.
   */
  readonly reservedConcurrency?: number;
  /** Its routes are the IMDi console's: only a token of the operators' user pool gets through. */
  readonly console?: boolean;
  /**
   * Other functions of this list (by `name`) it may invoke: lambda:InvokeFunction on each
   * one's unqualified ARN only, and its name in the environment as `<NAME>_FUNCTION`
   * (`aggregate` -> AGGREGATE_FUNCTION).
   */
  readonly invokes?: readonly string[];
}

/**
 * What the results function serves: the pointer to the newest run, units' reports, the
 * public report of a survey of roles, and the public key figures of a participant survey.
 */
export const RESULTS_REPORT_KEYS = [
  'results/*/latest.json',
  'results/*/runs/*/units/*.json',
  'results/*/runs/*/report.json',
  'results/*/runs/*/key-figures.json',
] as const;

/** IMDi's replacement population files (`survey-admin units population`; `_` is in no wave id), read where size bands are made. */
export const POPULATION_KEYS = ['results/_population/*'] as const;

/** A run's progress (`progress.json` in the run's folder), written by whoever runs it and read by the console. */
export const PROGRESS_KEYS = ['results/*/runs/*/progress.json'] as const;

/** A run's bundle for IMDi (`bundle` in the run manifest, `results_layout::bundle_key`). */
export const BUNDLE_KEYS = ['results/*/runs/*/bundle.zip'] as const;

/**
 * The aggregation's keys: its runs (reports, bundle, manifest and progress.json), the
 * pointer to the newest, the release ledger, and each survey's trend of national indices
 * over its waves (`_` is in no wave id).
 */
export const AGGREGATE_KEYS = [
  'results/*/latest.json',
  'results/*/releases.json',
  'results/*/runs/*',
  'results/_trend/*',
] as const;

/** The deployed functions. */
export const FUNCTIONS: readonly FunctionSpec[] = [
  {
    name: 'validate-code',
    description: 'POST /api/codes/validate: looks up an access code (keyed hash) and its unit and wave',
    routes: routesOf('validate-code'),
    tables: {
      waves: ['GetItem'],
      registrations: ['GetItem'],
      codes: ['GetItem'],
      // The wrong-code counters every instance shares: read in one batch, counted up by update.
      rate_limits: ['BatchGetItem', 'UpdateItem'],
    },
    hashKey: true,
    memoryMb: 256,
    timeoutSeconds: 10,
    // Guessing codes is what a runaway here looks like; WAF and the handler's own
    // per-address limit come first, this caps the blast radius.
    reservedConcurrency: 50,
  },
  {
    name: 'submit-response',
    description: 'POST /api/responses: stores one anonymous answer exactly once',
    routes: routesOf('submit-response'),
    tables: {
      waves: ['GetItem'],
      // The code's entry is read in one batch with the guess counters (GetItem
      // alone when that batch fails); it holds the unit's close, so the
      // registration is never read.
      codes: ['GetItem', 'BatchGetItem'],
      // Conditional put (attribute_not_exists) and the read-back for duplicates.
      answers: ['PutItem', 'GetItem'],
      // A wrong code here counts against the same limit as in validate-code.
      rate_limits: ['BatchGetItem', 'UpdateItem'],
    },
    hashKey: true,
    memoryMb: 256,
    timeoutSeconds: 10,
    reservedConcurrency: 100,
  },
  {
    name: 'survey-info',
    description: 'GET /api/surveys/{survey_id}[/questionnaire], GET /api/surveys?registration=open, GET /api/units and GET /api/health',
    routes: routesOf('survey-info'),
    // Scan lists the waves open for registration: a handful of items.
    tables: { waves: ['GetItem', 'Scan'] },
    hashKey: false,
    memoryMb: 256,
    timeoutSeconds: 10,
    reservedConcurrency: 50,
  },
  {
    name: 'register',
    description: 'POST /api/registrations, GET /api/registrations/verify and /approve: contacts register a unit, verify and approve by link; mail is queued',
    routes: routesOf('register'),
    tables: {
      waves: ['GetItem'],
      // The unit's registration and its code digest are written in one transaction
      // (conditional puts); the expected number of participants is an update.
      registrations: ['GetItem', 'PutItem', 'UpdateItem'],
      codes: ['PutItem'],
      // The unit's contacts and allowed domains, and whether IMDi removed an address
      // (a Query on the mark's key); a verified or approved contact is written.
      contacts: ['PutItem', 'Query'],
      // Single-use tokens: consumed by a conditional update, read back on a failed
      // condition. New tokens are the mail worker's to write.
      verifications: ['UpdateItem', 'GetItem'],
    },
    hashKey: true,
    // Every registration, verification and approval ends in a queued job, whoever
    // asked: the answer takes the same time for a known contact and a stranger.
    mail: ['queue'],
    memoryMb: 256,
    timeoutSeconds: 15,
    reservedConcurrency: 20,
  },
  {
    name: 'results',
    description: 'POST /api/results/access, GET /api/results/{survey_id}/{unit}[/count]: queues results links, serves the report and the live count',
    routes: routesOf('results'),
    tables: {
      waves: ['GetItem'],
      contacts: ['Query'],
      // Checks a results link; the links themselves are made by the mail worker.
      access_tokens: ['GetItem'],
      // The live count: an early close, and a COUNT query on the answers' by_unit index
      // (keys and each answer's day only).
      registrations: ['GetItem'],
      answers: ['Query'],
    },
    indexes: { answers: ['by_unit'] },
    // The pointer to the newest run and a unit's report in it: not IMDi's bundle, not
    // the release ledger, not other runs' files.
    buckets: { results: { read: RESULTS_REPORT_KEYS, list: true } },
    hashKey: true,
    // A link request is a queued job, whether or not the address is a verified contact.
    mail: ['queue'],
    memoryMb: 256,
    timeoutSeconds: 10,
    reservedConcurrency: 20,
  },
  {
    name: 'org-response',
    description: 'GET/PUT /api/org-responses/current, POST …/submit, GET …/results: a leader\'s own part of the form in a survey of roles, and the unit\'s results',
    routes: routesOf('org-response'),
    tables: {
      waves: ['GetItem'],
      // The link's holder must still hold the role: its recipient, read by key.
      form_tokens: ['GetItem'],
      // The unit's results: the unit's own recipients (begins_with its number).
      recipients: ['GetItem', 'Query'],
      // Drafts and the final submit: a conditional put that never overwrites a submitted form.
      // The unit's results read the unit's own forms for its parts' status and answers.
      forms: ['GetItem', 'PutItem', 'Query'],
    },
    // The unit's results: the pointer to the newest run, its public report, and the population in use.
    buckets: {
      results: { read: ['results/*/latest.json', 'results/*/runs/*/report.json', ...POPULATION_KEYS], list: true },
    },
    hashKey: true,
    memoryMb: 256,
    timeoutSeconds: 10,
    reservedConcurrency: 20,
  },
  {
    name: 'send-mail',
    description: 'Mail worker on the SQS mail queue: looks up contacts, writes verification and results tokens, sends with SES; SES bounces and complaints stop mail to their address',
    tables: {
      // SES feedback marks the address's recipients in every wave: the waves are listed.
      waves: ['GetItem', 'Scan'],
      // A week before the close every unit of a participant survey is listed, so that
      // each contact hears the unit's live count.
      registrations: ['GetItem', 'Query'],
      // That count: a COUNT query on the answers' by_unit index (keys and days), never an answer.
      answers: ['Query'],
      // Pending contacts are written with their verification token; the contacts'
      // reminder marks each contact with its round, and a job that mails several
      // contacts marks each with its mailing (conditional updates), once.
      contacts: ['Query', 'PutItem', 'UpdateItem'],
      verifications: ['PutItem'],
      access_tokens: ['PutItem'],
      // A survey of roles: who is due an invitation or a reminder (the wave listed, then
      // each job's recipient read by key), their new link, the mark that it is sent (a
      // conditional update before the send, taken back if SES fails), and the mark that
      // SES reported the address undeliverable (a conditional update of that field alone).
      recipients: ['GetItem', 'Query', 'UpdateItem'],
      form_tokens: ['PutItem'],
      forms: ['GetItem', 'Query'],
    },
    indexes: { answers: ['by_unit'] },
    hashKey: true,
    sendsEmail: true,
    // It consumes the queue, and puts on it the reminders a schedule's message asks for.
    mail: ['consume', 'queue'],
    memoryMb: 256,
    // A batch of 10 jobs, each one SES call and a few DynamoDB calls.
    timeoutSeconds: 30,
    // SES sends 14 messages a second in a fresh production account: 5 workers stay
    // below that, and bound the cost of a flood of queued jobs.
    reservedConcurrency: 5,
  },
  {
    name: 'admin',
    description: 'The IMDi console\'s API under /api/admin/: signed-in staff read, operators change, every change in the audit log',
    routes: routesOf('admin'),
    // API Gateway's JWT authorizer (the console's user pool) guards every route.
    console: true,
    // The same functions of survey_domain::operations as survey-admin, through DynamoStore.
    tables: {
      // A wave read; all waves listed (a scan of a handful of items); a new wave is a
      // conditional put (attribute_not_exists), and so is an edit (the whole wave put
      // again if it exists, in one transaction with its audit entry): no UpdateItem.
      waves: ['GetItem', 'Scan', 'PutItem'],
      // A unit's registration and all of a wave's. Close and reopen set and remove
      // closed_at, a new code replaces access_code, and an approved contact's expected
      // number is recorded: updates. Approving a unit's first contact registers the unit:
      // a conditional put in one transaction with its code's entry.
      registrations: ['GetItem', 'Query', 'UpdateItem', 'PutItem'],
      // Code entries by digest, never read here: a new code's entry is put and the old one
      // deleted in one transaction (rotate_code), a first registration puts one, and close
      // and reopen set and remove closed_at on the entry (where a submission reads it).
      codes: ['PutItem', 'DeleteItem', 'UpdateItem'],
      // A unit's contacts and allowed domains (Query); every contact of a wave for the
      // units view (wave_contacts: one scan of a small table, filtered to the wave); an
      // approved contact and an allowed domain are put; a removed contact is deleted and
      // the mark of its removal put (deleted again when IMDi approves or adds them). An allowed
      // domain and a removal are each written in one transaction with their audit entry.
      contacts: ['Query', 'Scan', 'PutItem', 'DeleteItem'],
      // A unit's count and the day each answer arrived, on the by_unit index only (see
      // `indexes`): never an answer, never the table.
      answers: ['Query'],
      // Append-only: a conditional put of a new entry (one a retry must recognise, with an
      // item under its request's key, in one transaction), and reading a wave's log or a key.
      audit: ['PutItem', 'Query'],
      // A survey of roles: who was asked and where each form stands (opened, draft,
      // submitted), for the units view, the chart and the recipients' reminders.
      recipients: ['Query'],
      forms: ['Query'],
    },
    indexes: { answers: ['by_unit'] },
    buckets: {
      // The units view and the chart read the population in use (size bands); a run's
      // progress is read, and written once as queued when the console starts it; the
      // newest run's manifest names its bundle, which the function presigns a GET link to
      // with its own role (so it may read exactly the bundles). No report, no ledger.
      // List: a missing latest.json, progress or population file is a 404, not AccessDenied.
      results: {
        read: ['results/*/latest.json', ...PROGRESS_KEYS, ...BUNDLE_KEYS, ...POPULATION_KEYS],
        write: PROGRESS_KEYS,
        list: true,
      },
      // The coverage view reads the sound summary `survey-admin audio coverage` publishes
      // (the texts' coverage is built in); a new wave publishes its questionnaire and texts.
      content: {
        read: ['content/*/audio/coverage.json'],
        write: ['content/*/questionnaire.json', 'content/*/i18n/*.json'],
        list: true,
      },
    },
    // A new code's keyed digest (rotate, first registration), and the digest of a unit's
    // code to close or reopen it on its entry.
    hashKey: true,
    // Reminders and code e-mails (resend, rotate, an approved contact's code) are jobs
    // for the mail worker.
    mail: ['queue'],
    // The console starts a run with an asynchronous invoke {"survey_id", "run_id"}.
    invokes: ['aggregate'],
    memoryMb: 256,
    timeoutSeconds: 15,
    reservedConcurrency: 5,
  },
  {
    name: 'aggregate',
    description: 'Nightly aggregation: parallel scan of answers (or a survey of roles\' submitted forms), reports to the results bucket',
    schedule: { hour: 3, minute: 0, timeZone: 'Europe/Oslo' },
    tables: {
      waves: ['GetItem', 'Scan'],
      registrations: ['Query'],
      answers: ['Scan'],
      // A survey of roles: who was asked, and the forms.
      recipients: ['Query'],
      forms: ['Query'],
      // One run of a wave at a time: the wave's lease is taken with a conditional put,
      // kept and given back with conditional updates (survey_results::run).
      run_leases: ['PutItem', 'UpdateItem'],
    },
    // Its runs (reports, bundle), the pointer to the newest, the release ledger, and the population in use.
    buckets: { results: { read: [...AGGREGATE_KEYS, ...POPULATION_KEYS], write: AGGREGATE_KEYS, list: true } },
    hashKey: false,
    memoryMb: 1024,
    // survey_results::RUN_LEASE, how long a run holds its wave, is this and a minute more.
    timeoutSeconds: 900,
    // One invocation at a time; one run of a wave at a time, whoever starts it, is the lease's.
    reservedConcurrency: 1,
  },
];

