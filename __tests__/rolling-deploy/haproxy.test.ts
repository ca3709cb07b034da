import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../__fixtures__/fakes.js';
import { ConfigurationError } from '../../src/shared/errors.js';
import {
  HaproxyConnectionError,
  HaproxyRouter,
  parseServersState,
  parseSocketAddress,
  parseStatCsv,
  splitCsvLine,
  toServerStat,
  toTargetHealth,
} from '../../src/rolling-deploy/routers/haproxy.js';
import type { TargetHealth } from '../../src/rolling-deploy/types.js';
import type { AppServer, RunningHaproxy } from '../__fixtures__/haproxy.js';
import { freePort, request, startAppServer, startHaproxy } from '../__fixtures__/haproxy.js';

// Captured from HAProxy 2.6.12 (Debian 12) with `check inter 100ms fall 2 rise 2`.
// A: s1 drained (UP), s2 answering 503 on the check, s3 in MAINT, s4 without `check`, s5 nothing listening.
// B: then s1's app stopped (still drained, "DRAIN 1/2"), s2 healthy again (rising, "DOWN 1/2"),
//    s3 set ready from MAINT (UP at once, before any check: "UP 1/2").
const A_STATE =
  '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n3 app 1 s1 127.0.0.1 2 8 1 1 0 15 3 3 6 0 0 0 - 18081 - 0 0 - - 0\n3 app 2 s2 127.0.0.1 0 0 1 1 0 17 2 0 6 0 0 0 - 18082 - 0 0 - - 0\n3 app 3 s3 127.0.0.1 0 1 1 1 0 15 3 0 14 0 0 0 - 18083 - 0 0 - - 0\n3 app 4 s4 127.0.0.1 2 0 1 1 1 1 0 2 0 0 0 0 - 18084 - 0 0 - - 0\n3 app 5 s5 127.0.0.1 0 0 1 1 1 8 2 0 6 0 0 0 - 18085 - 0 0 - - 0\n\n';
const A_STAT =
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,\napp,s1,0,0,0,0,,0,0,0,,0,,0,0,0,0,DRAIN,1,1,0,1,1,0,0,,1,3,1,,0,,2,0,,0,L7OK,200,42,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,2,2,3,,,,127.0.0.1:18081,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,\napp,s2,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,1,0,3,2,0,0,,1,3,2,,0,,2,0,,0,L7STS,503,37,0,0,0,0,0,0,,,,0,0,0,,,,,-1,Service Unavailable,,0,0,0,0,,,,Layer7 wrong status,,2,2,0,,,,127.0.0.1:18082,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,\napp,s3,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,1,1,0,1,2,0,0,,1,3,3,,0,,2,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:18083,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,\napp,s4,0,0,0,0,,0,0,0,,0,,0,0,0,0,no check,1,1,0,,,1,,,1,3,4,,0,,2,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:18084,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,\napp,s5,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,1,0,1,1,1,1,,1,3,5,,0,,2,0,,0,L4CON,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,Connection refused,,0,0,0,0,,,,Layer4 connection problem,,2,2,0,,,,127.0.0.1:18085,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,\n\n';
const B_STATE =
  '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n3 app 1 s1 127.0.0.1 2 8 1 1 0 8 2 2 6 0 0 0 - 18081 - 0 0 - - 0\n3 app 2 s2 127.0.0.1 0 0 1 1 0 15 3 1 6 0 0 0 - 18082 - 0 0 - - 0\n3 app 3 s3 127.0.0.1 2 0 1 1 0 15 3 2 6 0 0 0 - 18083 - 0 0 - - 0\n3 app 4 s4 127.0.0.1 2 0 1 1 1 1 0 2 0 0 0 0 - 18084 - 0 0 - - 0\n3 app 5 s5 127.0.0.1 0 0 1 1 1 8 2 0 6 0 0 0 - 18085 - 0 0 - - 0\n\n';
const B_STAT =
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,\napp,s1,0,0,0,0,,0,0,0,,0,,0,0,0,0,DRAIN 1/2,1,1,0,2,1,0,0,,1,3,1,,0,,2,0,,0,L4CON,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,Connection refused,,0,0,0,0,,,,Layer4 connection problem,,2,2,2,,,,127.0.0.1:18081,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,\napp,s2,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN 1/2,1,1,0,3,2,0,0,,1,3,2,,0,,2,0,,0,L7OK,200,1,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,2,2,1,,,,127.0.0.1:18082,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,\napp,s3,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP 1/2,1,1,0,1,2,0,0,,1,3,3,,0,,2,0,,0,L7OK,200,1,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,2,2,2,,,,127.0.0.1:18083,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,\napp,s4,0,0,0,0,,0,0,0,,0,,0,0,0,0,no check,1,1,0,,,1,,,1,3,4,,0,,2,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:18084,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,\napp,s5,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,1,0,1,1,1,1,,1,3,5,,0,,2,0,,0,L4CON,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,Connection refused,,0,0,0,0,,,,Layer4 connection problem,,2,2,0,,,,127.0.0.1:18085,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,1,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,\n\n';

function mapAll(stateText: string, statText: string): Record<string, Pick<TargetHealth, 'state' | 'reason'>> {
  const states = parseServersState(stateText);
  const stats = parseStatCsv(statText).map(toServerStat);
  return Object.fromEntries(
    states.map((s) => {
      const h = toTargetHealth(
        s.name,
        s,
        stats.find((x) => x.name === s.name),
      );
      return [s.name, { state: h.state, reason: h.reason }];
    }),
  );
}

describe('parsers (captured outputs)', () => {
  test('show servers state: columns by header name', () => {
    const rows = parseServersState(A_STATE);
    expect(rows.map((r) => [r.name, r.addr, r.port, r.opState, r.adminState, r.checkState])).toEqual([
      ['s1', '127.0.0.1', 18081, 2, 8, 6],
      ['s2', '127.0.0.1', 18082, 0, 0, 6],
      ['s3', '127.0.0.1', 18083, 0, 1, 14],
      ['s4', '127.0.0.1', 18084, 2, 0, 0],
      ['s5', '127.0.0.1', 18085, 0, 0, 6],
    ]);
    expect(rows[0]!.backend).toBe('app');
    expect(rows[0]!.fqdn).toBeUndefined();
  });

  test('show servers state: column order does not matter, bad output throws', () => {
    const swapped =
      '1\n# srv_port srv_name be_name srv_addr srv_op_state srv_admin_state srv_check_state srv_check_health\n80 web1 app 10.0.0.5 2 0 6 3\n';
    expect(parseServersState(swapped)).toEqual([
      {
        backend: 'app',
        name: 'web1',
        addr: '10.0.0.5',
        port: 80,
        fqdn: undefined,
        opState: 2,
        adminState: 0,
        checkState: 6,
        checkHealth: 3,
      },
    ]);
    expect(() => parseServersState("Can't find backend.\n\n")).toThrow(
      /unexpected "show servers state" output: "Can't find backend."/,
    );
    expect(() => parseServersState('1\n# be_name srv_name\napp s1\n')).toThrow(/no column srv_addr/);
  });

  test('show stat: CSV by header', () => {
    const rows = parseStatCsv(A_STAT);
    expect(rows).toHaveLength(5);
    expect(rows.map((r) => [r.svname, r.status, r.check_status, r.check_code, r.scur, r.qcur])).toEqual([
      ['s1', 'DRAIN', 'L7OK', '200', '0', '0'],
      ['s2', 'DOWN', 'L7STS', '503', '0', '0'],
      ['s3', 'MAINT', '', '', '0', '0'],
      ['s4', 'no check', '', '', '0', '0'],
      ['s5', 'DOWN', 'L4CON', '', '0', '0'],
    ]);
    const s2 = toServerStat(rows[1]!);
    expect(s2).toMatchObject({ checkStatus: 'L7STS', checkCode: '503', rise: 2, fall: 2, health: 0 });
    expect(s2.checkDetail).toBe('Layer7 wrong status: Service Unavailable');
    expect(() => parseStatCsv('No such proxy.\n\n')).toThrow(/unexpected "show stat" output/);
  });

  test('CSV fields with quotes and commas', () => {
    expect(splitCsvLine('a,"b,c",,"say ""hi""",')).toEqual(['a', 'b,c', '', 'say "hi"', '']);
    expect(splitCsvLine('x')).toEqual(['x']);
  });

  test('a running check ("* L7STS", code 0) keeps its status and drops the code', () => {
    const row = parseStatCsv(A_STAT)[1]!;
    const s = toServerStat({ ...row, check_status: '* L7STS', check_code: '0' });
    expect(s).toMatchObject({ checkStatus: 'L7STS', checkInProgress: true, checkCode: '' });
  });

  test('states: drain, DOWN with reasons, MAINT, no check', () => {
    expect(mapAll(A_STATE, A_STAT)).toEqual({
      s1: { state: 'draining', reason: undefined },
      s2: { state: 'unhealthy', reason: 'L7STS/503' },
      s3: { state: 'unused', reason: 'MAINT' },
      s4: { state: 'unavailable', reason: 'no check' },
      s5: { state: 'unhealthy', reason: 'L4CON' },
    });
  });

  test('states: rising, readied from MAINT, drained while its app is down', () => {
    expect(mapAll(B_STATE, B_STAT)).toEqual({
      s1: { state: 'draining', reason: undefined },
      s2: { state: 'initial', reason: 'rising 1/2' },
      s3: { state: 'initial', reason: 'L7OK/200' },
      s4: { state: 'unavailable', reason: 'no check' },
      s5: { state: 'unhealthy', reason: 'L4CON' },
    });
    // Drained and DOWN: show stat says "DOWN"; only srv_admin_state still has the DRAIN bit.
    const state = parseServersState(B_STATE)[0]!;
    const stat = toServerStat({ ...parseStatCsv(B_STAT)[0]!, status: 'DOWN' });
    expect(toTargetHealth('s1', { ...state, opState: 0 }, stat)).toEqual({
      id: 's1',
      state: 'draining',
      reason: 'DOWN L4CON',
      sessions: 0,
    });
  });

  test('socket addresses', () => {
    expect(parseSocketAddress('/run/haproxy/admin.sock')).toEqual({
      kind: 'unix',
      path: '/run/haproxy/admin.sock',
    });
    expect(parseSocketAddress(' 127.0.0.1:9999 ')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9999 });
    expect(parseSocketAddress('lb.internal:9999')).toEqual({ kind: 'tcp', host: 'lb.internal', port: 9999 });
    expect(parseSocketAddress('[::1]:9999')).toEqual({ kind: 'tcp', host: '::1', port: 9999 });
    for (const bad of ['', 'admin.sock', '127.0.0.1', '127.0.0.1:0', 'host:70000']) {
      expect(() => parseSocketAddress(bad)).toThrow(ConfigurationError);
    }
    expect(() => parseSocketAddress('x')).toThrow(/haproxy-socket: expected a unix socket path/);
    expect(() => new HaproxyRouter({ socket: '/x.sock', backend: 'app; disable server app/s1' })).toThrow(
      /haproxy-backend: expected a backend name/,
    );
  });
});

/** A router whose socket replays a script of [servers state, stat] snapshots, one per poll. */
function scripted(snapshots: [string, string][], o: { unhealthyGraceMs?: number } = {}) {
  const clock = new FakeClock();
  let i = -1;
  const sent: string[] = [];
  const router = new HaproxyRouter({
    socket: '/fake.sock',
    backend: 'app',
    clock,
    pollIntervalMs: 250,
    ...o,
    send: async (cmd) => {
      sent.push(cmd);
      if (cmd.startsWith('show servers state')) i = Math.min(i + 1, snapshots.length - 1);
      const snap = snapshots[Math.max(i, 0)]!;
      if (cmd.startsWith('show servers state')) return snap[0];
      if (cmd.startsWith('show stat')) return snap[1];
      return '\n';
    },
  });
  return { router, clock, sent };
}

/** Sets s2's fields in both captured outputs. */
function s2(
  op: number,
  admin: number,
  status: string,
  check: string,
  code: string,
  health: number,
  scur = 0,
): [string, string] {
  const state = A_STATE.replace(
    /^3 app 2 s2 .*$/m,
    `3 app 2 s2 127.0.0.1 ${op} ${admin} 1 1 0 17 2 ${health} 6 0 0 0 - 18082 - 0 0 - - 0`,
  );
  const stat = A_STAT.replace(/^app,s2,.*$/m, (line) => {
    const f = splitCsvLine(line);
    const h = splitCsvLine(A_STAT.split('\n')[0]!.slice(2));
    const set = (k: string, v: string) => (f[h.indexOf(k)] = v);
    set('status', status);
    set('check_status', check);
    set('check_code', code);
    set('check_health', String(health));
    set('scur', String(scur));
    return f.join(',');
  });
  return [state, stat];
}

const S2 = { id: 's2', host: '127.0.0.1', port: 18082 };

describe('HaproxyRouter waits (scripted socket, fake clock)', () => {
  test('a normal boot: stale DOWN, rising, UP → healthy, no early failure', async () => {
    const { router, sent } = scripted(
      [
        s2(0, 0, 'DOWN', 'L4CON', '', 0),
        s2(0, 0, 'DOWN', 'L4CON', '', 0),
        s2(0, 0, 'DOWN 1/2', 'L7OK', '200', 1),
        s2(2, 0, 'UP', 'L7OK', '200', 3),
      ],
      { unhealthyGraceMs: 400 },
    );
    const polls: string[] = [];
    const r = await router.waitHealthy(S2, {
      timeoutMs: 10_000,
      onPoll: (h, ms) => polls.push(`${ms}:${h.state}`),
    });
    expect(r).toEqual({ ok: true, elapsedMs: 750, reason: '' });
    expect(polls).toEqual(['0:unhealthy', '250:unhealthy', '500:initial', '750:healthy']);
    expect(sent).toContain('show stat app 4 -1');
    expect(sent).toContain('show servers state app');
  });

  test('DOWN on failing checks for the grace → fails early with the reason', async () => {
    const { router } = scripted([s2(0, 0, 'DOWN', 'L7STS', '503', 0)], { unhealthyGraceMs: 1000 });
    const r = await router.waitHealthy(S2, { timeoutMs: 60_000 });
    expect(r.ok).toBe(false);
    expect(r.elapsedMs).toBe(1000);
    expect(r.reason).toBe('app/s2 is DOWN: L7STS/503 (Layer7 wrong status: Service Unavailable) for 1s');
  });

  test('progress restarts the grace', async () => {
    const down = s2(0, 0, 'DOWN', 'L7STS', '503', 0);
    const rising = s2(0, 0, 'DOWN 1/2', 'L7OK', '200', 1);
    const { router } = scripted([down, down, down, rising, down, down, down, down, down], {
      unhealthyGraceMs: 600,
    });
    const r = await router.waitHealthy(S2, { timeoutMs: 60_000 });
    // Down from 0 to 500 (under 600), rising at 750, down again from 1000: fails at 1000 + 750 = 1750.
    expect(r).toMatchObject({ ok: false, elapsedMs: 1750 });
  });

  test('timeout while still initial names the last state', async () => {
    const { router } = scripted([s2(0, 0, 'DOWN 1/2', 'L7OK', '200', 1)]);
    const r = await router.waitHealthy(S2, { timeoutMs: 1000 });
    expect(r).toEqual({
      ok: false,
      elapsedMs: 1000,
      reason: 'timed out after 1s: app/s2 is initial (rising 1/2)',
    });
  });

  test('no checks configured: nothing to wait for, says so', async () => {
    const { router } = scripted([[A_STATE, A_STAT]]);
    const r = await router.waitHealthy({ id: 's4', host: '127.0.0.1', port: 18084 }, { timeoutMs: 1000 });
    expect(r.ok).toBe(true);
    expect(r.reason).toMatch(/no health check configured/);
  });

  test('waitDrained polls scur until 0, reporting sessions', async () => {
    const { router } = scripted([
      s2(2, 8, 'DRAIN', 'L7OK', '200', 3, 2),
      s2(2, 8, 'DRAIN', 'L7OK', '200', 3, 1),
      s2(2, 8, 'DRAIN', 'L7OK', '200', 3, 0),
    ]);
    const seen: (number | undefined)[] = [];
    const r = await router.waitDrained(S2, { timeoutMs: 5000, onPoll: (h) => seen.push(h.sessions) });
    expect(r).toEqual({ ok: true, elapsedMs: 500, reason: '' });
    expect(seen).toEqual([2, 1, 0]);
  });

  test('waitDrained times out with the open sessions', async () => {
    const { router } = scripted([s2(2, 8, 'DRAIN', 'L7OK', '200', 3, 4)]);
    const r = await router.waitDrained(S2, { timeoutMs: 1000 });
    expect(r).toEqual({
      ok: false,
      elapsedMs: 1000,
      reason: 'timed out after 1s: 4 session(s) open and 0 queued on app/s2',
    });
  });

  test('an aborted signal stops the wait', async () => {
    const { router } = scripted([s2(2, 8, 'DRAIN', 'L7OK', '200', 3, 4)]);
    const ac = new AbortController();
    ac.abort();
    const r = await router.waitDrained(S2, { timeoutMs: 1000, signal: ac.signal });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^cancelled/);
  });
});

describe('HaproxyRouter writes: per-attempt timeout, retried until a deadline', () => {
  function stalling(results: ('stall' | 'refused' | string)[]) {
    const clock = new FakeClock();
    const calls: { cmd: string; timeoutMs: number; at: number }[] = [];
    const router = new HaproxyRouter({
      socket: '/fake.sock',
      backend: 'app',
      clock,
      random: () => 0.5,
      send: async (cmd, timeoutMs) => {
        calls.push({ cmd, timeoutMs, at: clock.now() - start });
        const r = results.length > 1 ? results.shift()! : results[0]!;
        if (r === 'stall') {
          clock.advance(timeoutMs); // the socket never answered within the attempt's timeout
          throw new HaproxyConnectionError('/fake.sock', 'ETIMEDOUT', `no complete answer to "${cmd}"`);
        }
        if (r === 'refused') throw new HaproxyConnectionError('/fake.sock', 'ECONNREFUSED', 'refused');
        return r;
      },
    });
    const start = clock.now();
    return { router, calls, clock, start };
  }

  test('a stalled "state ready" is retried and succeeds', async () => {
    const { router, calls } = stalling(['stall', 'refused', '\n']);
    await router.attach(S2);
    expect(calls.map((c) => c.cmd)).toEqual(Array(3).fill('set server app/s2 state ready'));
    // Each attempt has its own 2 s timeout; backoff 50 ms, then 100 ms (full jitter of 100·2^n at random 0.5).
    expect(calls.map((c) => c.timeoutMs)).toEqual([2000, 2000, 2000]);
    expect(calls.map((c) => c.at)).toEqual([0, 2050, 2150]);
  });

  test('a runtime API that never answers fails at the write deadline, saying how often it tried', async () => {
    const { router, calls, clock, start } = stalling(['stall']);
    await expect(router.detach(S2)).rejects.toThrow(
      /no complete answer to "set server app\/s2 state drain" \(\d+ attempt\(s\) over \d+(\.\d+)?s, giving up at the 30s write deadline\)/,
    );
    expect(calls.length).toBeGreaterThan(5);
    expect(clock.now() - start).toBeLessThanOrEqual(30_000);
    expect(calls.every((c) => c.timeoutMs <= 2000 && c.timeoutMs > 0)).toBe(true);
  });

  test('an answer HAProxy refused is not retried', async () => {
    const { router, calls } = stalling(['No such server.\n']);
    await expect(router.attach(S2)).rejects.toThrow(/has no server "s2"/);
    expect(calls).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------------
// Against a real HAProxy.

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('HaproxyRouter against HAProxy', () => {
  let apps: AppServer[] = [];
  let hx: RunningHaproxy | undefined;
  let unix: HaproxyRouter;
  let tcp: HaproxyRouter;
  let tmp: string;
  const target = (i: number) => ({ id: apps[i]!.name, host: '127.0.0.1', port: apps[i]!.port });
  const healthOf = async (r: HaproxyRouter, id: string) => (await r.health([id])).get(id)!;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'rollway-hx-test-'));
    try {
      apps = await Promise.all(['s1', 's2', 's3'].map((n) => startAppServer(n)));
      hx = await startHaproxy({
        backends: [{ name: 'app', servers: apps.map((a) => ({ name: a.name, port: a.port })) }],
      });
    } catch (err) {
      await Promise.all(apps.map((a) => a.close()));
      throw err;
    }
    unix = new HaproxyRouter({ socket: hx.socketPath, backend: 'app', pollIntervalMs: 50 });
    tcp = new HaproxyRouter({ socket: hx.tcpSocket, backend: 'app', pollIntervalMs: 50 });
    const all = await eventually(
      () => unix.health(['s1', 's2', 's3']),
      (m) => [...m.values()].every((h) => h.state === 'healthy'),
    );
    expect([...all.values()].map((h) => h.state)).toEqual(['healthy', 'healthy', 'healthy']);
  });

  afterAll(async () => {
    await hx?.stop();
    await Promise.all(apps.map((a) => a.close()));
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Every test leaves the fleet as it found it: apps up and healthy, every server ready. */
  afterEach(async () => {
    for (let i = 0; i < apps.length; i++) {
      apps[i]!.healthStatus = 200;
      await apps[i]!.start();
      await unix.attach(target(i));
    }
    for (let i = 0; i < apps.length; i++) {
      const r = await unix.waitHealthy(target(i), { timeoutMs: 5000 });
      expect(r.reason).toBe('');
    }
  });

  test('listTargets over the unix and the TCP socket', async () => {
    const expected = apps.map((a) => ({ id: a.name, host: '127.0.0.1', port: a.port }));
    expect(await unix.listTargets()).toEqual(expected);
    expect(await tcp.listTargets()).toEqual(expected);
    expect(unix.name).toBe('backend app');
    expect(tcp.socket).toBe(hx!.tcpSocket);
  });

  test('health: healthy, then DOWN with L4CON when the app stops; unknown IDs are unused', async () => {
    const before = await tcp.health(['s1', 's3', 'nope']);
    expect(before.get('s1')).toEqual({ id: 's1', state: 'healthy', reason: 'L7OK/200', sessions: 0 });
    expect(before.get('nope')).toEqual({
      id: 'nope',
      state: 'unused',
      reason: 'not a server of backend app',
    });
    await apps[2]!.stop();
    const down = await eventually(
      () => healthOf(tcp, 's3'),
      (h) => h.state === 'unhealthy' && h.reason === 'L4CON',
    );
    expect(down).toMatchObject({ state: 'unhealthy', reason: 'L4CON' });
  });

  test('detach drains: no new request reaches the server; attach brings it back', async () => {
    await unix.detach(target(0));
    await unix.detach(target(0)); // idempotent
    expect(await healthOf(unix, 's1')).toMatchObject({ state: 'draining' });
    const answered = [];
    for (let i = 0; i < 12; i++) answered.push((await request(hx!.frontendUrl, `/x${i}`)).server);
    expect(answered).not.toContain('s1');
    expect(new Set(answered)).toEqual(new Set(['s2', 's3']));

    await unix.attach(target(0));
    const r = await unix.waitHealthy(target(0), { timeoutMs: 5000 });
    expect(r).toMatchObject({ ok: true, reason: '' });
    const again = [];
    for (let i = 0; i < 6; i++) again.push((await request(hx!.frontendUrl, `/y${i}`)).server);
    expect(again).toContain('s1');
  });

  test('waitDrained waits for the request in flight, then returns', async () => {
    const slow = request(hx!.frontendUrl, '/slow?ms=1200');
    const busy = await eventually(
      async () => apps.findIndex((a) => a.inFlight() > 0),
      (i) => i >= 0,
      2000,
    );
    expect(busy).toBeGreaterThanOrEqual(0);
    await unix.detach(target(busy));
    const started = Date.now();
    const seen: number[] = [];
    const r = await unix.waitDrained(target(busy), {
      timeoutMs: 5000,
      onPoll: (h) => seen.push(h.sessions ?? -1),
    });
    const waited = Date.now() - started;
    expect(r.ok).toBe(true);
    expect(seen[0]).toBe(1);
    expect(seen.at(-1)).toBe(0);
    expect(waited).toBeGreaterThan(500);
    expect(await slow).toEqual({ status: 200, server: apps[busy]!.name });
  });

  test('waitDrained gives up at the timeout while a session is open', async () => {
    const slow = request(hx!.frontendUrl, '/slow?ms=1500');
    const busy = await eventually(
      async () => apps.findIndex((a) => a.inFlight() > 0),
      (i) => i >= 0,
      2000,
    );
    await tcp.detach(target(busy));
    const r = await tcp.waitDrained(target(busy), { timeoutMs: 300 });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(
      new RegExp(`^timed out after \\d+ms: 1 session\\(s\\) open and 0 queued on app/s${busy + 1}$`),
    );
    await slow;
  });

  test('waitHealthy fails early with the reason when the app answers 503', async () => {
    const s2 = target(1);
    apps[1]!.healthStatus = 503;
    await unix.detach(s2);
    await eventually(
      () => healthOf(unix, 's2'),
      (h) => h.reason === 'DOWN L7STS/503',
    );
    await unix.attach(s2);
    const r = await new HaproxyRouter({
      socket: hx!.socketPath,
      backend: 'app',
      pollIntervalMs: 50,
      unhealthyGraceMs: 500,
    }).waitHealthy(s2, { timeoutMs: 20_000 });
    expect(r.ok).toBe(false);
    expect(r.elapsedMs).toBeLessThan(20_000); // failed on the 503, not at the timeout
    expect(r.reason).toMatch(
      /^app\/s2 is DOWN: L7STS\/503 \(Layer7 wrong status(?:: Service Unavailable)?\) for \d+ms$/,
    );
  });

  test('a server readied while its app still boots is not failed within the grace', async () => {
    const s3 = target(2);
    await unix.detach(s3);
    await apps[2]!.stop();
    await eventually(
      () => healthOf(unix, 's3'),
      (h) => h.reason === 'DOWN L4CON',
    );
    await unix.attach(s3);
    const boot = new Promise((r) => setTimeout(r, 300)).then(() => apps[2]!.start());
    const states: string[] = [];
    const r = await new HaproxyRouter({
      socket: hx!.socketPath,
      backend: 'app',
      pollIntervalMs: 25,
      unhealthyGraceMs: 1500,
    }).waitHealthy(s3, { timeoutMs: 5000, onPoll: (h) => states.push(h.state) });
    await boot;
    expect(r).toMatchObject({ ok: true, reason: '' });
    expect(states[0]).toBe('unhealthy');
    expect(states).toContain('initial');
  });

  test('unknown server and unknown backend: clear errors', async () => {
    await expect(unix.detach({ id: 'nope', host: '127.0.0.1', port: 1 })).rejects.toThrow(
      'HAProxy backend app has no server "nope" ("set server app/nope state drain" answered "No such server.")',
    );
    await expect(unix.attach({ id: 'bad;name', host: '127.0.0.1', port: 1 })).rejects.toThrow(
      /not an HAProxy server name/,
    );
    const other = new HaproxyRouter({ socket: hx!.tcpSocket, backend: 'nope' });
    await expect(other.listTargets()).rejects.toThrow(`HAProxy at ${hx!.tcpSocket} has no backend "nope"`);
    await expect(other.health(['s1'])).rejects.toThrow(/has no backend "nope"/);
  });

  test('socket errors name the socket', async () => {
    const missing = join(tmp, 'missing.sock');
    await expect(new HaproxyRouter({ socket: missing, backend: 'app' }).listTargets()).rejects.toThrow(
      `cannot use the HAProxy runtime API at ${missing}: no such socket (ENOENT)`,
    );
    const port = await freePort();
    await expect(
      new HaproxyRouter({ socket: `127.0.0.1:${port}`, backend: 'app' }).listTargets(),
    ).rejects.toThrow(
      `cannot use the HAProxy runtime API at 127.0.0.1:${port}: connection refused (ECONNREFUSED)`,
    );
    // A listener that never answers: the per-command timeout.
    const conns: net.Socket[] = [];
    const mute = net.createServer((c) => void conns.push(c));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    try {
      const addr = `127.0.0.1:${(mute.address() as AddressInfo).port}`;
      await expect(
        new HaproxyRouter({ socket: addr, backend: 'app', commandTimeoutMs: 200 }).listTargets(),
      ).rejects.toThrow(
        `HAProxy runtime API at ${addr}: no complete answer to "show servers state app" within 200ms`,
      );
    } finally {
      for (const c of conns) c.destroy();
      await new Promise<void>((r) => mute.close(() => r()));
    }
  });
});
