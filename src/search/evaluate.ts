import { spawn } from 'node:child_process';

// Runs the user's evaluator for one candidate: `sh -c 'CMD "$@"'` with the candidate's spec,
// variant and model folder as its last arguments (and in EFFNET_* variables), in a process
// group of its own so a timeout, or effnet being stopped, ends it and whatever it started. Its
// metrics are the last stdout line that is a JSON object of numbers; anything else is a failure
// with a reason, which the search records and goes past.

export interface EvalRun {
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  /** Seconds before the process group is killed; none when absent. */
  timeoutSeconds?: number;
  /** The evaluator's stderr as it comes (training logs). */
  onStderr?: (text: string) => void;
}

export interface EvalOutcome {
  metrics?: Record<string, number>;
  error?: string;
  /** The end of stderr, kept when the evaluator failed. */
  stderr?: string;
  seconds: number;
}

/** Stdout kept for finding the metrics line (an evaluator may log a lot). */
const STDOUT_TAIL = 1 << 20;
const STDERR_TAIL = 4096;
/** After SIGTERM on timeout, how long the group has before SIGKILL. */
const GRACE_MS = 2000;

/** The last line of `stdout` that is a non-empty JSON object whose values are all finite numbers. */
export function metricsLine(stdout: string): Record<string, number> | undefined {
  const lines = stdout.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith('{')) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    const entries = Object.entries(value);
    // fromEntries defines own properties: a metric named `__proto__` stays a metric.
    if (entries.length > 0 && entries.every(([, v]) => typeof v === 'number' && Number.isFinite(v))) return Object.fromEntries(entries) as Record<string, number>;
  }
  return undefined;
}

/** The last lines of a failed evaluator's stderr, for its record. */
const stderrTail = (text: string): string | undefined => {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const tail = lines.slice(-5).join('\n');
  return tail === '' ? undefined : tail.slice(-1000);
};

const killGroup = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
};

export function runEvaluator(run: EvalRun): Promise<EvalOutcome> {
  const started = performance.now();
  return new Promise((done) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const child = spawn('/bin/sh', ['-c', `${run.command} "$@"`, 'effnet-eval', ...run.args], {
      cwd: run.cwd,
      env: { ...process.env, ...run.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    // effnet stopped (Ctrl-C, a CI cancel): the evaluator's group goes with it, then the signal does its usual work.
    const onSignal = (signal: NodeJS.Signals) => {
      if (pid !== undefined) killGroup(pid, 'SIGKILL');
      cleanup();
      process.kill(process.pid, signal);
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, onSignal);
    let graceTimer: NodeJS.Timeout | undefined;
    const timer =
      run.timeoutSeconds === undefined || pid === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            killGroup(pid, 'SIGTERM');
            graceTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), GRACE_MS);
          }, run.timeoutSeconds * 1000);
    function cleanup() {
      for (const s of signals) process.removeListener(s, onSignal);
      clearTimeout(timer);
      clearTimeout(graceTimer);
    }
    const finish = (outcome: Omit<EvalOutcome, 'seconds'>) => {
      if (settled) return;
      settled = true;
      cleanup();
      done({ ...outcome, seconds: Number(((performance.now() - started) / 1000).toFixed(3)) });
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout = (stdout + chunk).slice(-STDOUT_TAIL);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
      run.onStderr?.(chunk);
    });
    child.on('error', (e) => finish({ error: `could not start /bin/sh: ${e.message}` }));
    // The shell has exited: what it left running in its group would hold the pipes open; end it.
    child.on('exit', () => {
      if (pid !== undefined) killGroup(pid, 'SIGKILL');
    });
    child.on('close', (code, signal) => {
      const failed = (error: string) => finish({ error, ...(stderrTail(stderr) !== undefined ? { stderr: stderrTail(stderr)! } : {}) });
      if (timedOut) return failed(`timed out after ${run.timeoutSeconds} s`);
      if (signal) return failed(`killed by ${signal}`);
      if (code !== 0) return failed(`exit code ${code}`);
      const metrics = metricsLine(stdout);
      if (!metrics) return failed('no JSON object of numbers on stdout');
      finish({ metrics });
    });
  });
}
