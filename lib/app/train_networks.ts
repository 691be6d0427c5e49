/**
 * The networks a training run trains and the trainer over them: G, D and (when the run encodes
 * instance features) E, built from the options and loaded from the resumed run or from
 * `--load_pretrain`; VGG19 for the perceptual loss; the trainer with its optimizers.
 *
 * @module
 */
import type { Module } from "../nn/module.ts";
import { Trainer } from "../pix2pixhd/trainer.ts";
import { loadVgg19 } from "../pix2pixhd/vgg19.ts";
import { resolveVggWeights } from "../pix2pixhd/vgg_weights.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { exists } from "./checkpoint_set.ts";
import { loadNetwork, networkPath } from "./checkpoints.ts";
import { buildD, buildE, buildG, configFrom } from "./model.ts";
import type { OpenedRun } from "./run_open.ts";

/** What {@linkcode openNetworks} opened. */
export interface TrainNetworks {
  /** G, D and, when the run trains it, E, by pix2pixHD's key in that order. */
  nets: readonly (readonly [string, Module])[];
  /** The training step over them, with its optimizers and image pool. */
  trainer: Trainer;
  /** Each parameter's name in the training state: `<key>.<name in its network>`. */
  names: ReadonlyMap<Tensor, string>;
  /**
   * G's outermost local enhancer and E, which `--niter_fix_global` trains alone first;
   * undefined without it.
   */
  fixedParams?: readonly Tensor[];
  /** Frees the trainer, the networks and VGG19. */
  dispose(): void;
}

/**
 * Builds the run's networks, loads them (from the run when resuming, else from
 * `--load_pretrain` when given), prints what was loaded (and with `--verbose` each network's
 * size), then loads VGG19 unless `--no_vgg_loss` and makes the trainer.
 */
export async function openNetworks(
  { o, dir, withE }: OpenedRun,
  print: (line: string) => void,
): Promise<TrainNetworks> {
  const netG = buildG(o);
  const netD = buildD(o);
  const netE = withE ? buildE(o) : undefined;
  const nets: [string, Module][] = [["G", netG], ["D", netD]];
  if (netE) nets.push(["E", netE]);
  await loadNetworks(nets, { o, dir }, print);
  if (o.verbose) {
    for (const [key, net] of nets) {
      print(`net${key}: ${net.parameters().reduce((n, p) => n + p.size, 0)} parameters`);
    }
  }
  const vgg = o.no_vgg_loss ? undefined : await loadVgg19(
    await resolveVggWeights({ vggWeights: o.vgg_weights || undefined }),
  );
  const trainer = new Trainer({ netG, netD, netE, vgg }, configFrom(o).trainer);
  const names = new Map<Tensor, string>();
  for (const [key, net] of nets) {
    for (const [name, p] of net.namedParameters()) names.set(p, `${key}.${name}`);
  }
  const outermost = `model${o.n_local_enhancers}`;
  const fixedParams = o.niter_fix_global > 0
    ? [
      ...netG.namedParameters().filter(([k]) => k.startsWith(outermost)).map(([, p]) => p),
      ...(netE?.parameters() ?? []),
    ]
    : undefined;
  const dispose = () => {
    trainer.dispose();
    for (const [, net] of nets) net.dispose();
    vgg?.dispose();
  };
  return { nets, trainer, names, fixedParams, dispose };
}

/**
 * Loads `nets` from checkpoint `--which_epoch` of the run in `dir` when resuming (strictly), or
 * of the run `--load_pretrain` names (what fits, saying what did not; D and E only when saved).
 */
async function loadNetworks(
  nets: readonly (readonly [string, Module])[],
  { o, dir }: Pick<OpenedRun, "o" | "dir">,
  print: (line: string) => void,
): Promise<void> {
  const which = o.which_epoch;
  if (o.continue_train) {
    for (const [key, net] of nets) {
      const path = networkPath(dir, which, key);
      await loadNetwork(net, path, { strict: true });
      print(`loaded ${path}`);
    }
  } else if (o.load_pretrain) {
    for (const [key, net] of nets) {
      const path = networkPath(o.load_pretrain, which, key);
      if (key !== "G" && !(await exists(path))) {
        print(`note: ${path} does not exist; ${key} starts from its initial weights`);
        continue;
      }
      const r = await loadNetwork(net, path, { strict: false });
      print(`loaded ${r.loaded} tensors of ${key} from ${path}`);
      if (r.unexpected.length) {
        print(`  not used (the pretrained ${key} has more layers): ${r.unexpected.join(", ")}`);
      }
      if (r.missing.length) print(`  not loaded, initial weights kept: ${r.missing.join(", ")}`);
    }
  }
}
