/**
 * A fake Elastic Load Balancing v2 endpoint (the AWS Query protocol: form-encoded POSTs, XML
 * answers) on 127.0.0.1, for running bundles against with
 * AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2=<fake.endpoint>. Stateful and scriptable:
 *
 *   const elb = await startFakeElbv2();
 *   elb.addTargetGroup(arn);
 *   elb.register(arn, 'i-1', 80, ['initial', 'initial', 'healthy']);   // one state per poll, last repeats
 *   elb.failNext('Throttling', 'Rate exceeded');                       // the next call fails (400)
 *   ... elb.calls, elb.endpoint, await elb.close()
 *
 * Supported actions: DescribeTargetHealth, RegisterTargets, DeregisterTargets.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

const NS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

export interface HealthState {
  readonly state:
    'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable' | 'unhealthy.draining';
  readonly reason?: string;
  readonly description?: string;
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
  /** The port RegisterTargets uses when a target comes without one, and the states it then goes through. */
  onRegister: { defaultPort: number; states: readonly ScriptedState[] };
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

function members(params: Record<string, string>): { id: string; port?: number }[] {
  const out: { id: string; port?: number }[] = [];
  for (let i = 1; params[`Targets.member.${i}.Id`] !== undefined; i++) {
    const port = params[`Targets.member.${i}.Port`];
    out.push({ id: params[`Targets.member.${i}.Id`]!, port: port === undefined ? undefined : Number(port) });
  }
  return out;
}

export async function startFakeElbv2(): Promise<FakeElbv2> {
  const groups = new Map<string, Registered[]>();
  const calls: FakeCall[] = [];
  const failures: { code: string; message: string; status: number }[] = [];
  const started = performance.now();
  let requestId = 0;

  const find = (arn: string, id: string, port?: number) =>
    groups.get(arn)?.find((t) => t.id === id && (port === undefined || t.port === port));
  const current = (t: Registered) => t.script[Math.min(t.polls, t.script.length - 1)]!;

  const fake: FakeElbv2 = {
    endpoint: '',
    calls,
    onRegister: { defaultPort: 80, states: ['initial', 'healthy'] },
    addTargetGroup(arn) {
      if (!groups.has(arn)) groups.set(arn, []);
    },
    register(arn, id, port, states) {
      fake.addTargetGroup(arn);
      const list = groups.get(arn)!;
      const existing = list.find((t) => t.id === id && t.port === port);
      const script = states.map(norm);
      if (existing) Object.assign(existing, { script, polls: 0 });
      else list.push({ id, port, script, polls: 0 });
    },
    stateOf(arn, id, port) {
      const t = find(arn, id, port);
      return t && current(t);
    },
    failNext(code, message = code, times = 1, status = 400) {
      for (let i = 0; i < times; i++) failures.push({ code, message, status });
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

  function handle(action: string, params: Record<string, string>): { status: number; body: string } {
    const arn = params.TargetGroupArn ?? '';
    const group = groups.get(arn);
    if (!group)
      return { status: 400, body: errorXml('TargetGroupNotFound', `Target groups '${arn}' not found`) };
    if (action === 'DescribeTargetHealth') {
      const asked = members(params);
      const rows = asked.length
        ? asked.map((a) => ({ a, t: find(arn, a.id, a.port) }))
        : group.map((t) => ({ a: { id: t.id, port: t.port as number | undefined }, t }));
      const body = rows
        .map(({ a, t }) => {
          const s: HealthState = t
            ? current(t)
            : {
                state: 'unused',
                reason: 'Target.NotRegistered',
                description: 'Target is not registered to the target group',
              };
          if (t) t.polls++;
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
      for (const m of members(params))
        fake.register(arn, m.id, m.port ?? fake.onRegister.defaultPort, fake.onRegister.states);
      return { status: 200, body: xml(action, '') };
    }
    if (action === 'DeregisterTargets') {
      for (const m of members(params)) {
        const t = find(arn, m.id, m.port);
        if (t)
          Object.assign(t, {
            script: [norm('draining'), { state: 'unused', reason: 'Target.NotRegistered' }],
            polls: 0,
          });
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
      const failure = failures.shift();
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
