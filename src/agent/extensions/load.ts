/**
 * Loading the extensions that [agent] extensions names (Neutron's key): a built-in name, or the path of
 * a module (absolute, or relative to the configuration file) that exports
 *     export function createFeature(api: ExtensionApi): Feature
 * Each is checked as it loads — its export, its name, its config section — and every failure is a
 * configuration error naming the file, section and key, before anything touches OVS.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describeError, InvalidArgumentError } from "../../base/index.ts";
import type { VswitchDb } from "../../ovs/index.ts";
import type { AgentConfig } from "../config.ts";
import type { Feature } from "../pipeline/feature.ts";
import { type ExtensionApi, extensionApi } from "./api.ts";

export interface ExtensionModule {
  createFeature(api: ExtensionApi): Feature;
  /**
   * Built-in extensions only (a module loaded by path is not known once its path left the configuration):
   * removes the OVSDB state the extension made, run by the generation swap that swept the flows of an
   * extension that ran before but is configured no more.
   */
  cleanup?(db: VswitchDb): Promise<void>;
}

/** The extensions that come with Weir, by the name [agent] extensions uses. */
const builtIn: Readonly<Record<string, () => Promise<ExtensionModule>>> = {
  qos: () => import("../features/qos/index.ts"),
  dhcp: () => import("../features/dhcp/index.ts"),
};

export const builtInExtensions = Object.keys(builtIn);

/** A built-in extension that is not configured: what it declares (its meter ids) and its cleanup. */
export async function removedBuiltIn(
  name: string,
): Promise<{ feature: Feature; cleanup: ExtensionModule["cleanup"] } | undefined> {
  const load = builtIn[name];
  if (load === undefined) return undefined;
  const module = await load();
  return { feature: module.createFeature(extensionApi), cleanup: module.cleanup };
}

/** Loads every extension the configuration names, checks it and hands it its config section. */
export async function loadExtensions(config: AgentConfig): Promise<Feature[]> {
  const where = `${config.file} [agent] extensions`;
  const features: Feature[] = [];
  for (const spec of config.extensions) {
    const feature = await loadOne(spec, config.file, where);
    if (features.some((f) => f.name === feature.name))
      throw new InvalidArgumentError(where, `two extensions are called ${feature.name}`);
    const section = config.otherSections[feature.name];
    try {
      feature.onConfigLoaded?.(section);
    } catch (error) {
      throw new InvalidArgumentError(`${config.file} [${feature.name}]`, describeError(error));
    }
    features.push(feature);
  }
  for (const section of Object.keys(config.otherSections)) {
    if (!features.some((f) => f.name === section))
      throw new InvalidArgumentError(`${config.file} [${section}]`, "unknown section");
  }
  return features;
}

async function loadOne(spec: string, file: string, where: string): Promise<Feature> {
  let module: Partial<ExtensionModule>;
  if (!spec.includes("/")) {
    const load = builtIn[spec];
    if (load === undefined)
      throw new InvalidArgumentError(
        where,
        `unknown extension ${spec} (built in: ${builtInExtensions.join(", ")}; or the path of an extension module)`,
      );
    module = await load();
  } else {
    const path = isAbsolute(spec) ? spec : resolve(dirname(file), spec);
    try {
      module = (await import(pathToFileURL(path).href)) as Partial<ExtensionModule>;
    } catch (error) {
      throw new InvalidArgumentError(where, `cannot load ${path}: ${describeError(error)}`);
    }
  }
  if (typeof module.createFeature !== "function")
    throw new InvalidArgumentError(where, `${spec} does not export a function createFeature(api)`);
  let feature: Feature;
  try {
    feature = module.createFeature(extensionApi);
  } catch (error) {
    throw new InvalidArgumentError(where, `${spec}: createFeature failed: ${describeError(error)}`);
  }
  if (feature === null || typeof feature !== "object" || typeof feature.name !== "string")
    throw new InvalidArgumentError(where, `${spec}: createFeature did not return a feature`);
  if (feature.ownerClass !== undefined)
    throw new InvalidArgumentError(
      where,
      `${feature.name}: an extension does not choose its cookie class (ownerClass); the agent assigns one`,
    );
  return feature;
}
