// The Lambdas, as data. Each entry is one binary of the Cargo workspace (same name).
// Adding a function is one entry here: its routes, exactly which table actions and
// bucket prefixes it may use, its size and its concurrency cap. The stack turns each
// entry into a RustFunction with its own role, log group, env vars, routes and alarms.

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
 * S3 access, granted on the bucket's own prefix only (`content/*` in the content
 * bucket, `results/*` in the results bucket, as CONTRACT.md lays them out).
 */
export type BucketAccess = 'read' | 'write' | 'list';

export type HttpMethodName = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteSpec {
  readonly method: HttpMethodName;
  /** API Gateway route path, e.g. `/api/surveys/{survey_id}`. */
  readonly path: string;
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
  readonly buckets?: Readonly<Partial<Record<BucketName, readonly BucketAccess[]>>>;
  /** Needs HASH_KEY (code digests, answer ids). Functions that only read waves do not. */
  readonly hashKey: boolean;
  /**
   * Sends e-mail through SES, from the stack's domain identity with its configuration
   * set; gets MAIL_FROM, SITE_URL and SES_CONFIGURATION_SET.
   */
  readonly sendsEmail?: boolean;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /**
   * Reserved concurrency: a hard cap so that a flood (or a retry storm) cannot run up
   * DynamoDB/SES costs or starve the other functions. Omit for no reservation.
   */
  readonly reservedConcurrency?: number;
}

/** The deployed functions. */
export const FUNCTIONS: readonly FunctionSpec[] = [
  {
    name: 'validate-code',
    description: 'POST /api/codes/validate: looks up an access code (keyed hash) and its unit and wave',
    routes: [{ method: 'POST', path: '/api/codes/validate' }],
    tables: { waves: ['GetItem'], registrations: ['GetItem'], codes: ['GetItem'] },
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
    routes: [{ method: 'POST', path: '/api/responses' }],
    tables: {
      waves: ['GetItem'],
      registrations: ['GetItem'],
      codes: ['GetItem'],
      // Conditional put (attribute_not_exists) and the read-back for duplicates.
      answers: ['PutItem', 'GetItem'],
    },
    hashKey: true,
    memoryMb: 256,
    timeoutSeconds: 10,
    reservedConcurrency: 100,
  },
  {
    name: 'survey-info',
    description: 'GET /api/surveys/{survey_id}[/questionnaire], GET /api/units and GET /api/health',
    routes: [
      { method: 'GET', path: '/api/surveys/{survey_id}' },
      { method: 'GET', path: '/api/surveys/{survey_id}/questionnaire' },
      { method: 'GET', path: '/api/health' },
      { method: 'GET', path: '/api/units' },
    ],
    tables: { waves: ['GetItem'] },
    hashKey: false,
    memoryMb: 256,
    timeoutSeconds: 10,
    reservedConcurrency: 50,
  },
  {
    name: 'register',
    description: 'POST /api/registrations, GET /api/registrations/verify: contacts register a unit, verify by e-mail, get its code',
    routes: [
      { method: 'POST', path: '/api/registrations' },
      { method: 'GET', path: '/api/registrations/verify' },
      { method: 'GET', path: '/api/registrations/approve' },
    ],
    tables: {
      waves: ['GetItem'],
      // The unit's registration and its code digest are written in one transaction
      // (conditional puts); the expected number of participants is an update.
      registrations: ['GetItem', 'PutItem', 'UpdateItem'],
      codes: ['PutItem'],
      contacts: ['PutItem', 'Query'],
      // Single-use tokens: put, consumed by a conditional update, read back on a failed condition.
      verifications: ['PutItem', 'UpdateItem', 'GetItem'],
    },
    hashKey: true,
    sendsEmail: true,
    memoryMb: 256,
    timeoutSeconds: 15,
    // Each call can send e-mails: a low cap bounds SES cost and reputation damage.
    reservedConcurrency: 20,
  },
  {
    name: 'results',
    description: 'POST /api/results/access, GET /api/results/{survey_id}/{unit}[/count]: results links for verified contacts, the report, the live count',
    routes: [
      { method: 'POST', path: '/api/results/access' },
      { method: 'GET', path: '/api/results/{survey_id}/{unit}' },
      { method: 'GET', path: '/api/results/{survey_id}/{unit}/count' },
    ],
    tables: {
      waves: ['GetItem'],
      contacts: ['Query'],
      access_tokens: ['PutItem', 'GetItem'],
      // The live count: an early close, and a COUNT query on the answers' by_unit index (keys only).
      registrations: ['GetItem'],
      answers: ['Query'],
    },
    // `list` so that a report that does not exist yet is a 404 (NoSuchKey) and not an
    // AccessDenied from S3; limited to results/ by a prefix condition.
    buckets: { results: ['read', 'list'] },
    hashKey: true,
    sendsEmail: true,
    memoryMb: 256,
    timeoutSeconds: 10,
    reservedConcurrency: 20,
  },
  {
    name: 'aggregate',
    description: 'Nightly aggregation: parallel scan of answers, reports to the results bucket',
    schedule: { hour: 3, minute: 0, timeZone: 'Europe/Oslo' },
    tables: { waves: ['GetItem', 'Scan'], registrations: ['Query'], answers: ['Scan'] },
    buckets: { results: ['read', 'write', 'list'] },
    hashKey: false,
    memoryMb: 1024,
    timeoutSeconds: 900,
    // One run at a time.
    reservedConcurrency: 1,
  },
];

