// Every URL the views link to, in one place, so routes and views cannot drift apart.

export const urls = {
  home: () => '/',
  workflow: (wf: string) => `/wf/${encodeURIComponent(wf)}`,
  runs: (wf: string) => `/wf/${encodeURIComponent(wf)}/runs`,
  run: (wf: string, key: string) => `/wf/${encodeURIComponent(wf)}/runs/${encodeURIComponent(key)}`,
  history: (wf: string, key: string) => `${urls.run(wf, key)}/history`,
  runBar: (wf: string, key: string) => `${urls.run(wf, key)}/bar`,
  finalize: (wf: string, key: string) => `${urls.run(wf, key)}/finalize`,
  unfinalize: (wf: string, key: string) => `${urls.run(wf, key)}/unfinalize`,
  archive: (wf: string, key: string) => `${urls.run(wf, key)}/archive`,
  unarchive: (wf: string, key: string) => `${urls.run(wf, key)}/unarchive`,
  deleteRun: (wf: string, key: string) => `${urls.run(wf, key)}/delete`,
  step: (wf: string, key: string, step: string) => `${urls.run(wf, key)}/steps/${encodeURIComponent(step)}`,
  revert: (wf: string, key: string, step: string) => `${urls.step(wf, key, step)}/revert`,
  cancel: (wf: string, key: string, step: string) => `${urls.step(wf, key, step)}/cancel`,
  undoRevert: (wf: string, key: string) => `${urls.run(wf, key)}/undo-revert`,
  events: (wf: string, key: string, step: string) => `${urls.step(wf, key, step)}/events`,
  profiles: () => '/profiles',
  schedules: () => '/schedules',
  /** A schedule's row on the Schedules page (GET /schedules/:name redirects there). */
  schedule: (name: string) => `/schedules/${encodeURIComponent(name)}`,
  schedulePause: (name: string) => `/schedules/${encodeURIComponent(name)}/pause`,
  scheduleResume: (name: string) => `/schedules/${encodeURIComponent(name)}/resume`,
  scheduleRemove: (name: string) => `/schedules/${encodeURIComponent(name)}/remove`,
  /** An artifact's file; `name` (the person's own file name) is what a download is saved as. */
  artifact: (path: string, name?: string) =>
    `/files/${path.split('/').map(encodeURIComponent).join('/')}${name ? `?name=${encodeURIComponent(name)}` : ''}`,
  /** An HTML artifact as a sandboxed document for an iframe (see files.ts). */
  frame: (path: string) => `/files/frame/${path.split('/').map(encodeURIComponent).join('/')}`,
  restartResource: (wf: string, key: string, name: string) => `${urls.run(wf, key)}/resources/${encodeURIComponent(name)}/restart`,
  runAll: (wf: string, key: string) => `${urls.run(wf, key)}/run-all`,
  /** "Run on a worker": the run's remaining steps, queued (PostgreSQL). */
  queueRun: (wf: string, key: string) => `${urls.run(wf, key)}/queue`,
};

/** DOM id of a step's card. Step ids are [a-z0-9_], so they are safe in ids and selectors. */
export const stepDomId = (stepId: string) => `step-${stepId}`;
