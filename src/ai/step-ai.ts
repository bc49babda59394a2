/**
 * The model as steps see it (`ctx.ai`), for the processes that run steps: `railbook serve`,
 * `run` and `worker`. Settings are read per comment, so a change on the Settings page applies to
 * the next step without a restart; each finished comment also goes into the profile's chat.
 */
import type { StepAi } from '../engine/workflow.ts';
import type { Store } from '../store/store.ts';
import { loadAiSettings } from './ai-settings.ts';
import { assistantFor } from './assistant.ts';
import { peanutGallery } from './peanut-gallery.ts';

export function stepAi(store: Store, env: NodeJS.ProcessEnv = process.env): StepAi {
  const settings = () => loadAiSettings(store, env);
  return peanutGallery({
    settings,
    onComment: async (c) => {
      // Shared with the web app's chat when it is open in this process; else opened for this.
      const { assistant, release } = assistantFor({ dataDir: store.dataDir, settings });
      try {
        assistant.conversations.addComment(c.profile, { workflowId: c.workflowId, runKey: c.runKey, stepId: c.stepId }, c.text, c.model, c.status);
      } finally {
        await release();
      }
    },
  });
}
