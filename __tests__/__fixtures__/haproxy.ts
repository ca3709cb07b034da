// The real-HAProxy helpers live with the local fleet (used by the demo and the benchmarks too).
export * from '../../tools/fleet/haproxy.js';
