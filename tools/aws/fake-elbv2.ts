/**
 * A fake Elastic Load Balancing v2 endpoint (the AWS Query protocol: form-encoded POSTs, XML
 * answers) on 127.0.0.1, for running bundles against with
 * AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2=<fake.endpoint>. Stateful and scriptable:
 *
 *   const elb = await startFakeElbv2();
 *   elb.addTargetGroup(arn);
 *   elb.register(arn, 'i-1', 80, ['initial', 'initial', 'healthy']);   // one state per poll, last repeats
 *   elb.failNext('Throttling', 'Rate exceeded');                       // the next call fails (400)
 *   elb.failAlways('Throttling', 'Rate exceeded');                     // every call fails until stopFailing()
 *   elb.setAttribute(arn, 'deregistration_delay.timeout_seconds', '5');
 *   elb.setTags(arn, { 'rollway:lock-owner': 'someone' });
 *   ... elb.calls, elb.endpoint, await elb.close()
 *
 * A scripted step lasts one DescribeTargetHealth poll, or `forMs` milliseconds when it has one. As in the
 * real service, a target whose deregistration is over (`unused`, Target.NotRegistered) is no longer
 * listed when DescribeTargetHealth names no targets; named, it reports `unused`.
 *
 * Supported actions: DescribeTargetHealth, RegisterTargets, DeregisterTargets,
 * DescribeTargetGroupAttributes, DescribeTags, AddTags, RemoveTags.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

const NS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

export interface HealthState {
  readonly state:
    'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable' | 'unhealthy.draining';
  readonly reason?: string;
  readonly description?: string;
  /** Hold this state this long (from when it was reached) instead of for one poll. */
  readonly forMs?: number;
}
/** A bare state name uses the reason code the real service gives for it. */
export type ScriptedState = HealthState['state'] | HealthState;

const DEFAULT_REASON: Record<string, string | undefined> = {
  initial: 'Elb.InitialHealthChecking',
  unhealthy: 'Target.FailedHealthChecks',
  draining: 'Target.DeregistrationInProgress',
  unavailable: 'Target.HealthCheckDisabled',
};

export interface FakeCall {
  readonly action: string;
  readonly params: Readonly<Record<string, string>>;
  readonly atMs: number;
}

interface Registered {
  readonly id: string;
  readonly port: number;
  script: HealthState[];
  /** DescribeTargetHealth answers that included this target so far. */
  polls: number;
  /** Where in the script it is, since when, and how many polls reported this step. */
  step: number;
  stepSince: number;
  stepPolls: number;
  /** Deregistered: once the script reaches unused / Target.NotRegistered, it is no longer listed. */
  leaving: boolean;
}

export interface FakeElbv2 {
  /** "http://127.0.0.1:<port>" */
  readonly endpoint: string;
  readonly calls: FakeCall[];
  addTargetGroup(arn: string): void;
  /** Registers (or re-scripts) a target; its states advance by one per DescribeTargetHealth that reports it. */
  register(arn: string, id: string, port: number, states: readonly ScriptedState[]): void;
  /** The state a target would report now (without advancing it). */
  stateOf(arn: string, id: string, port?: number): HealthState | undefined;
  /** The next `times` calls fail with this error code (Throttling is a 400, as in the real service). */
  failNext(code: string, message?: string, times?: number, status?: number): void;
  /** Every call from now on fails with this error (after any failNext ones), until stopFailing(). */
  failAlways(code: string, message?: string, status?: number): void;
  stopFailing(): void;
  /**
   * The port RegisterTargets uses when a target comes without one, and the states it then goes through
   * (`statesFor`, when it returns a script, decides per target: e.g. from what was deployed there).
   */
  onRegister: {
    defaultPort: number;
    states: readonly ScriptedState[];
    statesFor?: (arn: string, id: string, port: number) => readonly ScriptedState[] | undefined;
  };
  /** The states DeregisterTargets starts (draining, then not registered: the delay is over). */
  onDeregister: { states: readonly ScriptedState[] };
  /** Ends every deregistration in progress now: those targets are no longer listed. */
  finishDeregistrations(): void;
  /** Targets registered in a group now (listed, not gone), as "id:port". */
  registered(arn: string): string[];
  /** Target group attributes (DescribeTargetGroupAttributes). */
  setAttribute(arn: string, key: string, value: string): void;
  /** Sets (merges) tags on a resource ARN, as AddTags does. */
  setTags(arn: string, tags: Readonly<Record<string, string>>): void;
  tagsOf(arn: string): Record<string, string>;
  close(): Promise<void>;
}

function norm(s: ScriptedState): HealthState {
  if (typeof s !== 'string') return s;
  const reason = DEFAULT_REASON[s];
  return reason ? { state: s, reason } : { state: s };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** `Prefix.member.N` values, in order. */
function list(params: Record<string, string>, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; params[`${prefix}.member.${i}`] !== undefined; i++)
    out.push(params[`${prefix}.member.${i}`]!);
  return out;
}

function members(params: Record<string, string>): { id: string; port?: number }[] {
  const out: { id: string; port?: number }[] = [];
  for (let i = 1; params[`Targets.member.${i}.Id`] !== undefined; i++) {
    const port = params[`Targets.member.${i}.Port`];
    out.push({ id: params[`Targets.member.${i}.Id`]!, port: port === undefined ? undefined : Number(port) });
  }
  return out;
}

const NOT_REGISTERED: HealthState = {
  state: 'unused',
  reason: 'Target.NotRegistered',
  description: 'Target is not registered to the target group',
};

export async function startFakeElbv2(): Promise<FakeElbv2> {
  const groups = new Map<string, Registered[]>();
  const attributes = new Map<string, Map<string, string>>();
  const tags = new Map<string, Map<string, string>>();
  const calls: FakeCall[] = [];
  const failures: { code: string; message: string; status: number }[] = [];
  let always: { code: string; message: string; status: number } | undefined;
  const started = performance.now();
  let requestId = 0;

  const find = (arn: string, id: string, port?: number) =>
    groups.get(arn)?.find((t) => t.id === id && (port === undefined || t.port === port));
  /** The state now: steps with forMs advance with time, the others with each poll. */
  const current = (t: Registered): HealthState => {
    const now = performance.now();
    while (t.step < t.script.length - 1) {
      const s = t.script[t.step]!;
      const over = s.forMs !== undefined ? now - t.stepSince >= s.forMs : t.stepPolls >= 1;
      if (!over) break;
      t.stepSince = s.forMs !== undefined ? t.stepSince + s.forMs : now;
      t.step++;
      t.stepPolls = 0;
    }
    return t.script[t.step]!;
  };
  const gone = (t: Registered) => {
    const s = current(t);
    return t.leaving && s.state === 'unused' && s.reason === 'Target.NotRegistered';
  };
  const restart = (t: Registered, script: HealthState[], leaving: boolean) =>
    Object.assign(t, { script, polls: 0, step: 0, stepSince: performance.now(), stepPolls: 0, leaving });

  const fake: FakeElbv2 = {
    endpoint: '',
    calls,
    onRegister: { defaultPort: 80, states: ['initial', 'healthy'] },
    onDeregister: { states: ['draining', NOT_REGISTERED] },
    addTargetGroup(arn) {
      if (!groups.has(arn)) groups.set(arn, []);
    },
    register(arn, id, port, states) {
      fake.addTargetGroup(arn);
      const list = groups.get(arn)!;
      const existing = list.find((t) => t.id === id && t.port === port);
      const script = states.map(norm);
      if (existing) restart(existing, script, false);
      else {
        const t = { id, port } as Registered;
        restart(t, script, false);
        list.push(t);
      }
    },
    stateOf(arn, id, port) {
      const t = find(arn, id, port);
      return t && current(t);
    },
    finishDeregistrations() {
      for (const list of groups.values())
        for (const t of list) if (t.leaving) restart(t, [NOT_REGISTERED], true);
    },
    registered(arn) {
      return (groups.get(arn) ?? []).filter((t) => !gone(t)).map((t) => `${t.id}:${t.port}`);
    },
    setAttribute(arn, key, value) {
      fake.addTargetGroup(arn);
      const m = attributes.get(arn) ?? new Map<string, string>();
      m.set(key, value);
      attributes.set(arn, m);
    },
    setTags(arn, t) {
      const m = tags.get(arn) ?? new Map<string, string>();
      for (const [k, v] of Object.entries(t)) m.set(k, v);
      tags.set(arn, m);
    },
    tagsOf(arn) {
      return Object.fromEntries(tags.get(arn) ?? []);
    },
    failNext(code, message = code, times = 1, status = 400) {
      for (let i = 0; i < times; i++) failures.push({ code, message, status });
    },
    failAlways(code, message = code, status = 400) {
      always = { code, message, status };
    },
    stopFailing() {
      failures.length = 0;
      always = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const xml = (action: string, result: string) =>
    `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result>` +
    `<ResponseMetadata><RequestId>req-${++requestId}</RequestId></ResponseMetadata></${action}Response>`;
  const errorXml = (code: string, message: string) =>
    `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error>` +
    `<RequestId>req-${++requestId}</RequestId></ErrorResponse>`;

  const arnsIn = (params: Record<string, string>) => list(params, 'ResourceArns');
  const unknownArn = (arns: string[]) => arns.find((a) => !groups.has(a));

  function handleTags(action: string, params: Record<string, string>): { status: number; body: string } {
    const arns = arnsIn(params);
    if (!arns.length) return { status: 400, body: errorXml('ValidationError', 'ResourceArns is required') };
    const missing = unknownArn(arns);
    if (missing)
      return { status: 400, body: errorXml('TargetGroupNotFound', `Target groups '${missing}' not found`) };
    if (action === 'DescribeTags') {
      if (arns.length > 20)
        return { status: 400, body: errorXml('ValidationError', 'At most 20 resource ARNs') };
      const body = arns
        .map(
          (a) =>
            `<member><ResourceArn>${esc(a)}</ResourceArn><Tags>${[...(tags.get(a) ?? [])]
              .map(([k, v]) => `<member><Key>${esc(k)}</Key><Value>${esc(v)}</Value></member>`)
              .join('')}</Tags></member>`,
        )
        .join('');
      return { status: 200, body: xml(action, `<TagDescriptions>${body}</TagDescriptions>`) };
    }
    if (action === 'AddTags') {
      const added: Record<string, string> = {};
      for (let i = 1; params[`Tags.member.${i}.Key`] !== undefined; i++) {
        const value = params[`Tags.member.${i}.Value`] ?? '';
        // The real service's tag value pattern.
        if (!/^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u.test(value) || value.length > 256)
          return { status: 400, body: errorXml('ValidationError', `Invalid tag value '${value}'`) };
        added[params[`Tags.member.${i}.Key`]!] = value;
      }
      if (!Object.keys(added).length)
        return { status: 400, body: errorXml('ValidationError', 'Tags is required') };
      for (const a of arns) fake.setTags(a, added);
      return { status: 200, body: xml(action, '') };
    }
    // RemoveTags
    const keys = list(params, 'TagKeys');
    for (const a of arns) for (const k of keys) tags.get(a)?.delete(k);
    return { status: 200, body: xml(action, '') };
  }

  function handle(action: string, params: Record<string, string>): { status: number; body: string } {
    if (action === 'DescribeTags' || action === 'AddTags' || action === 'RemoveTags')
      return handleTags(action, params);
    const arn = params.TargetGroupArn ?? '';
    const group = groups.get(arn);
    if (!group)
      return { status: 400, body: errorXml('TargetGroupNotFound', `Target groups '${arn}' not found`) };
    if (action === 'DescribeTargetGroupAttributes') {
      const attrs = new Map([
        ['deregistration_delay.timeout_seconds', '300'],
        ['stickiness.enabled', 'false'],
        ...(attributes.get(arn) ?? []),
      ]);
      const body = [...attrs]
        .map(([k, v]) => `<member><Key>${esc(k)}</Key><Value>${esc(v)}</Value></member>`)
        .join('');
      return { status: 200, body: xml(action, `<Attributes>${body}</Attributes>`) };
    }
    if (action === 'DescribeTargetHealth') {
      const asked = members(params);
      const rows = asked.length
        ? asked.map((a) => ({ a, t: find(arn, a.id, a.port) }))
        : group
            .filter((t) => !gone(t))
            .map((t) => ({ a: { id: t.id, port: t.port as number | undefined }, t }));
      const body = rows
        .map(({ a, t }) => {
          const s: HealthState = t ? current(t) : NOT_REGISTERED;
          if (t) {
            t.polls++;
            t.stepPolls++;
          }
          const port = t?.port ?? a.port ?? fake.onRegister.defaultPort;
          return (
            `<member><Target><Id>${esc(a.id)}</Id><Port>${port}</Port></Target><HealthCheckPort>${port}</HealthCheckPort>` +
            `<TargetHealth><State>${s.state}</State>${s.reason ? `<Reason>${esc(s.reason)}</Reason>` : ''}` +
            `${s.description ? `<Description>${esc(s.description)}</Description>` : ''}</TargetHealth></member>`
          );
        })
        .join('');
      return {
        status: 200,
        body: xml(action, `<TargetHealthDescriptions>${body}</TargetHealthDescriptions>`),
      };
    }
    if (action === 'RegisterTargets') {
      for (const m of members(params)) {
        const port = m.port ?? fake.onRegister.defaultPort;
        fake.register(
          arn,
          m.id,
          port,
          fake.onRegister.statesFor?.(arn, m.id, port) ?? fake.onRegister.states,
        );
      }
      return { status: 200, body: xml(action, '') };
    }
    if (action === 'DeregisterTargets') {
      for (const m of members(params)) {
        const t = find(arn, m.id, m.port);
        if (t && !gone(t)) restart(t, fake.onDeregister.states.map(norm), true);
      }
      return { status: 200, body: xml(action, '') };
    }
    return {
      status: 400,
      body: errorXml('InvalidAction', `The action ${action} is not valid for this web service.`),
    };
  }

  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(raw));
      const action = params.Action ?? '';
      calls.push({ action, params, atMs: performance.now() - started });
      const failure = failures.shift() ?? always;
      const { status, body } = failure
        ? { status: failure.status, body: errorXml(failure.code, failure.message) }
        : handle(action, params);
      res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': `req-${requestId}` });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (fake as { endpoint: string }).endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
