/**
 * Start-up step 4, continued: the session for punted packets on br-int, when a feature answers them
 * (punt/channel.ts). Opened before the server is heard from: the flows that punt carry what the answer
 * needs, the previous run's too.
 */
import type { AgentParts } from "../agent.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { PuntChannel, puntingFeatures } from "../punt/channel.ts";

/** Opens the channel if any feature punts; says whether it did. */
export async function openPunts(parts: AgentParts, pipeline: Pipeline): Promise<boolean> {
  const features = puntingFeatures(pipeline);
  if (features.length === 0) return false;
  const { config, log, metrics } = parts;
  const bridge = config.integrationBridge;
  // br-int answered the flow session a moment ago: this one is quick, and waits if it is not.
  const punts = await PuntChannel.open(
    { bridge, endpoint: `unix:${config.ovsRundir}/${bridge}.mgmt`, pipeline, metrics, log },
    Number.POSITIVE_INFINITY,
  );
  parts.cleanups.push(() => punts.close());
  log.info({ bridge, features: features.map((f) => f.name) }, "answering punted packets");
  return true;
}
