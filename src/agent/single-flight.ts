// Wraps an async job so that at most one run is in progress; calls during a run fold into one more
// run after it (the caller's request is never lost, and never doubled). Every caller of a run gets
// that run's result. `stopped` ends the folding (the agent is shutting down).
export function singleFlight<T>(job: () => Promise<T>, stopped: () => boolean = () => false): () => Promise<T> {
  let running: Promise<T> | undefined;
  let again = false;
  const loop = async (): Promise<T> => {
    let result: T;
    do {
      again = false;
      result = await job();
    } while (again && !stopped());
    return result;
  };
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = loop().finally(() => {
      running = undefined;
    });
    return running;
  };
}
