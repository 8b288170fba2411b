// Wraps an async job so that at most one run is in progress; calls during a run fold into one more
// run after it (the caller's request is never lost, and never doubled).
export function singleFlight(job: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  const loop = async () => {
    do {
      again = false;
      await job();
    } while (again);
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
