// The agent's entry point (dist/agent.cjs). Commands:
//   run (default)  install, sweep, watch, serve /healthz /readyz /metrics; SIGTERM -> uninstall when
//                  the DaemonSet is gone or being deleted, else keep capture (stop-decision.ts)
//   install        install the composer and kernel settings, then exit
//   remove         restore kernel settings and remove installed files (idempotent)
//   sweep          one upload pass over the spool; exit 1 if a dump is still failing
import { codeOf, describeError } from '../shared/errors.ts';
import { stdoutLogger } from '../shared/log.ts';
import { loadAgentConfig } from './agent-config.ts';
import { Agent } from './agent.ts';

const COMMANDS = ['run', 'install', 'remove', 'sweep'] as const;
type Command = (typeof COMMANDS)[number];

/** How long SIGTERM waits for an upload in progress; the file stays for the next agent anyway. */
const STOP_GRACE_MS = 10_000;

async function main(): Promise<number> {
  const command = (process.argv[2] ?? 'run') as Command;
  const log = stdoutLogger(process.env.AGENT_LOG_LEVEL === 'debug' ? 'debug' : 'info', 'cdc-agent');
  if (!COMMANDS.includes(command)) {
    log.error({ event: 'CommandUnknown', code: 'CDC_COMMAND_UNKNOWN', command }, `usage: agent [${COMMANDS.join('|')}]`);
    return 2;
  }
  const config = loadAgentConfig(process.env);
  const agent = new Agent({ config, env: process.env, log, procSys: process.env.CDC_PROC_SYS }, { followUp: command === 'run' });
  agent.logStartup(command);
  switch (command) {
    case 'install':
      await agent.install();
      return agent.hostProblem ? 1 : 0;
    case 'remove':
      await agent.uninstall();
      return 0;
    case 'sweep': {
      const r = await agent.sweep('command');
      await agent.stop();
      return r.failed > 0 ? 1 : 0;
    }
    case 'run':
      return run(agent, log);
  }
}

async function run(agent: Agent, log: ReturnType<typeof stdoutLogger>): Promise<number> {
  // Listen first: a SIGTERM during install (copying the runtime takes a moment) must still uninstall.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const started = (async () => {
    await agent.install();
    await agent.serve();
    agent.startTriggers();
    void agent.sweep('startup').catch((e) => log.error({ event: 'SweepFailed', code: codeOf(e, 'CDC_UPLOAD_FAILED'), err: describeError(e) }, 'startup sweep failed'));
  })();
  const signal = await Promise.race([stopped, started.then(() => stopped)]);
  await started.catch(() => undefined); // an install cut short by the signal is undone below
  log.info({ event: 'StopRequested', signal }, 'stopping');
  // Decide and restore before anything else: after the grace period the kubelet sends SIGKILL.
  if ((await agent.decideOnStop()) === 'uninstall') {
    await agent.uninstall().catch((e) => log.error({ event: 'UninstallFailed', code: codeOf(e, 'CDC_UNINSTALL_FAILED'), err: describeError(e) }, 'uninstall failed'));
  } else {
    log.info({ event: 'CaptureKeptForNextAgent' }, 'restart or rolling update: core_pattern stays on the composer');
  }
  await Promise.race([agent.stop(), new Promise((r) => setTimeout(r, STOP_GRACE_MS).unref())]);
  log.info({ event: 'AgentStopped' }, 'agent stopped');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Timers (token refresh, SDK sockets) must not keep a finished command alive.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (e: unknown) => {
    const log = stdoutLogger('info', 'cdc-agent');
    log.error({ event: 'AgentFailed', code: codeOf(e), err: describeError(e) }, 'agent failed');
    process.exit(1);
  },
);
