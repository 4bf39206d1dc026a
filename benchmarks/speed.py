"""Does a fit run as fast as its arithmetic allows? The measuring kit of issue 18.

Five sections, each a markdown table with its baseline, the ratio and a verdict
against the issue's target (all measured in this run; compare only within a run):

* ``step``: one training step of the default network (the spec a default
  GRNClassifier builds on a ``--rows`` x 12 numeric binary table, at the batch
  size it uses), run through the Trainer's own ``train_epoch``, against the
  floor: a hand-written ``tf.function`` step of a plain MLP (two ReLU layers as
  wide as the GRN's blocks, Adam, same batch size and dtype) run the same way,
  a ``tf.range`` loop over the minibatches of one compiled epoch. Milliseconds
  per step are whole epochs of ``--steps`` steps divided by the step count.
  Target: at most 3x the floor. For scale, a plain MLP as wide as all the
  members together (``n_members * block_units``: as much arithmetic per layer)
  runs beside it. ``--variants`` adds ensemble_size=1 and each numeric branch
  alone.
* ``profile``: where the default step's time goes, from TensorFlow's profiler
  (its XSpace trace, read with the protobuf classes TensorFlow ships): op time
  per step in forward, backward, optimizer and bookkeeping, and the number of
  ops per step. The phases are told apart by name scopes, so the profile runs
  a copy of ``Trainer._train_epoch_graph`` that wraps each phase in one and
  calls the trainer's own objective, tape and optimizer; its step time is
  printed beside the Trainer's to show that it is the same step.
* ``tables``: fit + predict seconds of the default estimators against the
  ``mlp`` pipeline of benchmarks/tables.py (same splits, same pipeline) on the
  development tables of DATA_DIR and the bundled sets. Targets: at most 3x on
  each development table under 2,000 rows and each bundled set, at most 1.5x
  over all development tables together.
* ``checks``: wall time of scikit-learn's ``check_estimator`` on GRNClassifier()
  and GRNRegressor() against MLPClassifier() and MLPRegressor(), each in a fresh
  process (imports and tracing count). Target: at most 4x.
* ``startup``: ``import skgrn`` against ``import tensorflow`` (fresh processes),
  whether the former imports TensorFlow, and a first fit in a fresh process
  against later fits of the same shape in it. Targets: TensorFlow not imported,
  or at most 1.5x its import; the first fit at most 2x a later one.

Run it from the repository root::

    python benchmarks/speed.py --sections step profile startup --variants
    python benchmarks/speed.py --sections tables --data-dir DATA_DIR --tables small --seeds 1
    python benchmarks/speed.py --sections checks --check-rounds 1
    python benchmarks/speed.py --data-dir DATA_DIR --write docs/benchmarks.md

``--tables`` takes table names (those of benchmarks/tables.py) or the groups
``small`` (development tables under 2,000 rows), ``development`` and ``bundled``;
by default every table runs. ``--data-dir`` defaults to the environment's DATA_DIR.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # must precede the TensorFlow import

import tables  # noqa: E402
import tensorflow as tf  # noqa: E402
from _report import (  # noqa: E402
    cpu_model,
    environment_lines,
    header_blocks,
    run_fresh,
    section,
    write_section,
)

from skgrn import GRNClassifier  # noqa: E402
from skgrn._training import get_trainer  # noqa: E402

SECTION = "speed"  # of docs/benchmarks.md
SECTIONS = ("step", "profile", "tables", "checks", "startup")
BENCHMARKS = Path(__file__).resolve().parent
N_FEATURES = 12
SMALL_ROWS = 2000  # the "development table under 2,000 rows"
# The targets, as ratios of the GRN's time to the baseline's.
STEP_VS_FLOOR = 3.0
TABLE_VS_MLP = 3.0
TOTAL_VS_MLP = 1.5
CHECKS_VS_MLP = 4.0
IMPORT_VS_TENSORFLOW = 1.5
FIRST_VS_LATER_FIT = 2.0
# The floor's Adam: Keras' defaults, as the Trainer's.
ADAM = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7}


def step_data(n_rows, seed=0):
    """``n_rows`` x ``N_FEATURES`` standard normal columns and a binary target."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, N_FEATURES))
    return X, (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(size=n_rows) > 0).astype(int)


# --- output ----------------------------------------------------------------------------


def verdict(ratio, limit):
    return f"{ratio:.2f}x (target at most {limit:g}x: {'met' if ratio <= limit else 'NOT met'})"


def markdown(headers, rows, left=1):
    """A markdown table; the first ``left`` columns left-aligned, the others right-aligned."""
    align = [":---"] * left + ["---:"] * (len(headers) - left)
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def show(blocks, title, table, lines):
    """Print a section's table and verdict lines now; keep them for ``--write``."""
    text = [f"### {title}", table, "\n".join(f"- {line}" for line in lines)]
    print("\n" + "\n\n".join(text) + "\n", flush=True)
    blocks += text


def lscpu_model():
    """The ``Model name`` line of lscpu, or /proc/cpuinfo's model name."""
    try:
        output = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        output = ""
    for line in output.splitlines():
        if line.startswith("Model name:"):
            return line.partition(":")[2].strip()
    return cpu_model() or "unknown"


def machine_lines():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [f"CPU (lscpu Model name): {lscpu_model()}; {cores} cores usable.", *environment_lines()]


# --- step: the default network's step against a plain MLP's ----------------------------


def default_fit(n_rows, params=None):
    """A GRNClassifier fitted for one epoch on ``step_data(n_rows)``: its spec is the
    default network for such a table."""
    X, y = step_data(n_rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = GRNClassifier(max_iter=1, random_state=0, **(params or {})).fit(X, y)
    return estimator, X, y


def trainer_setup(n_rows, params=None):
    """The cached Trainer of the default spec, the table's tensors and the batch size."""
    estimator, X, y = default_fit(n_rows, params)
    spec = estimator._spec
    trainer = get_trainer(spec)
    targets = np.asarray(y, dtype=spec.dtype)[:, None]
    data = trainer.tensors(estimator._layout.encode(X), targets, np.ones(n_rows))
    return spec, trainer, data, estimator._batch_size(n_rows)


def epoch_order(n_rows, steps, batch_size, seed=0):
    """Rows for ``steps`` minibatches: successive permutations of the table."""
    rng = np.random.default_rng(seed)
    n_permutations = -(-steps * batch_size // n_rows)
    order = np.concatenate([rng.permutation(n_rows) for _ in range(n_permutations)])
    return order[: steps * batch_size].astype(np.int32)


class PlainMLP:
    """The floor: a plain MLP's training epoch, written directly in TensorFlow.

    Two ReLU layers of ``units``, a sigmoid output, the weighted cross-entropy plus
    an L2 penalty, Adam as one fused ``ResourceApplyAdam`` per variable; the epoch
    loops over minibatches with ``tf.range`` in one ``tf.function``, as the Trainer's.
    """

    def __init__(self, n_features, units, dtype, seed=0):
        rng = np.random.default_rng(seed)
        shapes = [(n_features, units), (units,), (units, units), (units,), (units, 1), (1,)]
        self.weights = [
            tf.Variable(rng.uniform(-1, 1, shape) * np.sqrt(6 / sum(shape)), dtype=dtype)
            if len(shape) == 2
            else tf.Variable(np.zeros(shape), dtype=dtype)
            for shape in shapes
        ]
        self.slots = [
            (tf.Variable(tf.zeros_like(w)), tf.Variable(tf.zeros_like(w))) for w in self.weights
        ]
        self.steps = tf.Variable(0.0, dtype=dtype)
        self.multiply_adds = sum(int(np.prod(shape)) for shape in shapes if len(shape) == 2)
        data = [tf.TensorSpec((None, n_features), dtype), tf.TensorSpec((None, 1), dtype)]
        signature = [*data, tf.TensorSpec((None,), dtype), tf.TensorSpec((None,), tf.int32)]
        signature += [tf.TensorSpec((), tf.int32), tf.TensorSpec((), dtype)]
        self.epoch = tf.function(self._epoch, input_signature=signature).get_concrete_function()

    def _logits(self, X):
        w1, b1, w2, b2, w3, b3 = self.weights
        hidden = tf.nn.relu(tf.nn.relu(X @ w1 + b1) @ w2 + b2)
        return hidden @ w3 + b3

    def _step(self, X, Y, W, penalty_scale):
        with tf.GradientTape() as tape:
            losses = tf.nn.sigmoid_cross_entropy_with_logits(Y, self._logits(X))[:, 0]
            penalty = tf.add_n([tf.reduce_sum(tf.square(w)) for w in self.weights[::2]])
            objective = tf.reduce_mean(losses * W) + penalty_scale * penalty
        gradients = tape.gradient(objective, self.weights)
        self.steps.assign_add(1.0)
        constants = {name: tf.constant(value, X.dtype) for name, value in ADAM.items()}
        constants["beta1_power"] = tf.pow(constants["beta1"], self.steps)
        constants["beta2_power"] = tf.pow(constants["beta2"], self.steps)
        for weight, (m, v), gradient in zip(self.weights, self.slots, gradients, strict=True):
            tf.raw_ops.ResourceApplyAdam(
                var=weight.handle, m=m.handle, v=v.handle, grad=gradient, **constants
            )
        return objective

    def _epoch(self, X, Y, W, order, batch_size, penalty_scale):
        n_rows = tf.shape(order)[0]
        total = tf.zeros((), X.dtype)
        for batch in tf.range((n_rows + batch_size - 1) // batch_size):
            rows = order[batch * batch_size : tf.minimum((batch + 1) * batch_size, n_rows)]
            gathered = [tf.gather(array, rows) for array in (X, Y, W)]
            total += self._step(*gathered, penalty_scale)
        return total

    def train_epoch(self, X, Y, W, order, batch_size, penalty_scale):
        dtype = self.steps.dtype
        args = (tf.constant(order), tf.constant(batch_size), tf.constant(penalty_scale, dtype))
        return float(self.epoch(X, Y, W, *args).numpy())


def epoch_ms_per_step(train_epoch, data, order, batch_size):
    """Milliseconds per step of one compiled epoch over ``order``."""
    start = time.perf_counter()
    train_epoch(*data, order, batch_size, 1e-4)
    return (time.perf_counter() - start) * 1e3 / (len(order) // batch_size)


def interleaved_ms(epochs, order, batch_size, repeats):
    """Median ms/step of each ``(epoch function, data)`` in ``epochs``. The functions
    take turns in every repeat, so that a change of load falls on all of them alike."""
    for train_epoch, data in epochs.values():  # warm up: traces, caches, thread pools
        train_epoch(*data, order, batch_size, 1e-4)
    times = {name: [] for name in epochs}
    for _ in range(repeats):
        for name, (train_epoch, data) in epochs.items():
            times[name].append(epoch_ms_per_step(train_epoch, data, order, batch_size))
    return {name: float(np.median(values)) for name, values in times.items()}


def body_ops(concrete):
    """The nodes of the while loop's body (one step) in a traced epoch function."""
    library = concrete.graph.as_graph_def().library.function
    return [
        node for f in library if f.signature.name.startswith("while_body") for node in f.node_def
    ]


def describe(spec):
    parts = [f"{spec.n_blocks} block of {spec.block_units}", f"{spec.ensemble_size} members"]
    if spec.numeric_embedding:
        parts.append(f"{spec.numeric_embedding} x{spec.embedding_terms}")
    if spec.plain_branch or not spec.numeric_embedding:
        parts.append("plain branch")
    return ", ".join(parts) + f", {spec.dtype}"


VARIANTS = {
    "ensemble_size=1": {"ensemble_size": 1},
    "embedding only": {"numeric_embedding": "piecewise_linear"},
    "plain only (numeric_embedding=None)": {"numeric_embedding": None},
}


def step_section(args, blocks):
    spec, trainer, data, batch_size = trainer_setup(args.rows)
    floor = PlainMLP(spec.n_features, spec.block_units, spec.dtype)
    order = epoch_order(args.rows, args.steps, batch_size)
    epochs = {"default GRN": (trainer.train_epoch, data)}
    epochs["plain MLP (floor)"] = (floor.train_epoch, data)
    labels = {"default GRN": describe(spec), "plain MLP (floor)": f"2 x {spec.block_units} ReLU"}
    counts = {"default GRN": len(body_ops(trainer._concrete["train_epoch"]))}
    counts["plain MLP (floor)"] = len(body_ops(floor.epoch))
    macs = {"default GRN": network_multiply_adds(trainer), "plain MLP (floor)": floor.multiply_adds}
    # Not the target's floor but the arithmetic's: the members side by side make
    # one layer n_members times as wide, which a plain MLP of that width matches.
    wide_units = spec.n_members * spec.block_units
    wide = PlainMLP(spec.n_features, wide_units, spec.dtype)
    epochs["plain MLP, members' width"] = (wide.train_epoch, data)
    labels["plain MLP, members' width"] = f"2 x {wide_units} ReLU"
    counts["plain MLP, members' width"] = len(body_ops(wide.epoch))
    macs["plain MLP, members' width"] = wide.multiply_adds
    if args.variants:
        for name, params in VARIANTS.items():
            v_spec, v_trainer, v_data, _ = trainer_setup(args.rows, params)
            epochs[name], labels[name] = (v_trainer.train_epoch, v_data), describe(v_spec)
            counts[name] = len(body_ops(v_trainer._concrete["train_epoch"]))
            macs[name] = network_multiply_adds(v_trainer)
    ms = interleaved_ms(epochs, order, batch_size, args.repeats)
    floor_ms, floor_macs = ms["plain MLP (floor)"], macs["plain MLP (floor)"]
    rows = [
        (
            name,
            labels[name],
            f"{ms[name]:.3f}",
            f"{ms[name] / floor_ms:.2f}",
            f"{macs[name]:,}",
            f"{macs[name] / floor_macs:.1f}",
            counts[name],
        )
        for name in epochs
    ]
    headers = [
        "network",
        "what",
        "ms / step",
        "/ floor",
        "multiply-adds / row",
        "/ floor",
        "ops in the loop body (traced)",
    ]
    lines = [
        f"A {args.rows}-row x {N_FEATURES} numeric binary table; batch {batch_size}; "
        f"epochs of {args.steps} steps; medians of {args.repeats} repeats, the networks "
        "taking turns.",
        f"Default step / plain-MLP floor: {verdict(ms['default GRN'] / floor_ms, STEP_VS_FLOOR)}.",
    ]
    show(blocks, "Training step against a plain MLP's", markdown(headers, rows, 2), lines)


def network_multiply_adds(trainer):
    """Multiply-adds a row's forward pass spends in the kernels of a trainer's network.

    A two-dimensional kernel belongs to a block the members share (after the
    member adapter), so it runs once per member; a grouped kernel (the heads,
    the numeric embedding) already holds one slice per member or column.
    Backward passes cost about twice as much in both the GRN and the MLPs.
    """
    total = 0
    for weight in trainer.model.weights:
        if weight.path.endswith("kernel"):
            shared = len(weight.shape) == 2
            total += int(np.prod(weight.shape)) * (trainer.spec.ensemble_size if shared else 1)
    return total


# --- profile: where the default step's time goes ---------------------------------------

PHASES = ("forward", "backward", "optimizer", "bookkeeping")
# Ops that run other ops (the loop, function calls): their time is their body's.
CONTAINER_OPS = {"While", "StatelessWhile", "PartitionedCall", "StatefulPartitionedCall", "If"}
OP_EVENT = re.compile(r"^([^:\s]+):(\w+)$")  # "<node name>:<op type>"


def phase_of(node_name):
    """The phase of an op of :func:`scoped_epoch` by its name. Gradients of built-in ops
    are named ``gradient_tape/<forward op>``; custom gradients run in the scope of
    ``tape.gradient``, ``backward``."""
    parts = node_name.split("/")
    if "gradient_tape" in parts or "backward" in parts:
        return "backward"
    for phase in ("optimizer", "forward"):
        if phase in parts:
            return phase
    return "bookkeeping"  # gathers, the loop's counter and slicing, the totals


def scoped_epoch(trainer):
    """``Trainer._train_epoch_graph`` with each phase of the step in its name scope.

    The trainer's own objective (network, losses, penalty), tape and optimizer; the
    gathers, which the Trainer runs inside the tape, are evaluated before it here
    (the tape watches only the variables, so this changes nothing it records).
    """
    spec = trainer.spec

    def epoch(X, Y, W, order, batch_size, penalty_scale):
        n_rows = tf.shape(order)[0]
        totals = tf.zeros((2,), X.dtype)
        for batch in tf.range((n_rows + batch_size - 1) // batch_size):
            with tf.name_scope("bookkeeping"):
                rows = order[batch * batch_size : tf.minimum((batch + 1) * batch_size, n_rows)]
                gathered = [tf.gather(array, rows) for array in (X, Y, W)]
            with tf.GradientTape() as tape, tf.name_scope("forward"):
                objective, loss = trainer._objective(*gathered, penalty_scale)
            with tf.name_scope("backward"):
                gradients = tape.gradient(objective, trainer._weights)
            with tf.name_scope("optimizer"):
                trainer._apply_gradients(gradients)
            totals += tf.stack([objective, loss]) * tf.cast(tf.shape(rows)[0], X.dtype)
        return totals / tf.cast(n_rows, X.dtype)

    data = [tf.TensorSpec((None, spec.n_features), spec.dtype)]
    data += [tf.TensorSpec((None, spec.n_outputs), spec.dtype), tf.TensorSpec((None,), spec.dtype)]
    signature = [*data, tf.TensorSpec((None,), tf.int32), tf.TensorSpec((), tf.int32)]
    concrete = tf.function(epoch, input_signature=[*signature, tf.TensorSpec((), spec.dtype)])
    concrete = concrete.get_concrete_function()

    def train_epoch(X, Y, W, order, batch_size, penalty_scale):
        penalty = tf.constant(penalty_scale, spec.dtype)
        return concrete(X, Y, W, tf.constant(order), tf.constant(batch_size), penalty).numpy()

    return concrete, train_epoch


def profiled_ops(train_epoch, data, order, batch_size, epochs):
    """{(node name, op type): [calls, picoseconds]} of the ops run by ``epochs`` epochs
    under TensorFlow's profiler, read from the XSpace file it writes."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        for _ in range(epochs):
            train_epoch(*data, order, batch_size, 1e-4)
        tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        (path,) = Path(logdir).rglob("*.xplane.pb")
        space.ParseFromString(path.read_bytes())
    ops = {}
    for plane in space.planes:
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):  # the executor's threads
                continue
            for event in line.events:
                match = OP_EVENT.match(plane.event_metadata[event.metadata_id].name)
                if match and match.group(2) not in CONTAINER_OPS:
                    entry = ops.setdefault(match.groups(), [0, 0])
                    entry[0] += 1
                    entry[1] += event.duration_ps
    return ops


def phase_rows(ops, body, n_steps, step_ms):
    """One row per phase: ops and op time per step, its share, traced nodes."""
    calls, seconds = Counter(), Counter()
    for (name, _), (count, picoseconds) in ops.items():
        calls[phase_of(name)] += count
        seconds[phase_of(name)] += picoseconds * 1e-12
    traced = Counter(phase_of(node.name) for node in body)
    total = sum(seconds.values())
    rows = []
    for phase in (*PHASES, "total"):
        n, s = (sum(calls.values()), total) if phase == "total" else (calls[phase], seconds[phase])
        t = sum(traced.values()) if phase == "total" else traced[phase]
        ms = s * 1e3 / n_steps
        rows.append((phase, f"{n / n_steps:.0f}", f"{ms:.3f}", f"{s / total:.0%}", t))
    rows.append(("wall time of a profiled step", "", f"{step_ms:.3f}", "", ""))
    return rows


def op_type_rows(ops, n_steps, top):
    """The ``top`` op types by op time: calls and time per step, phases they run in."""
    calls, seconds, phases = Counter(), Counter(), {}
    for (name, op_type), (count, picoseconds) in ops.items():
        calls[op_type] += count
        seconds[op_type] += picoseconds * 1e-12
        phases.setdefault(op_type, set()).add(phase_of(name))
    rows = []
    for op_type, s in seconds.most_common(top):
        where = ", ".join(p for p in PHASES if p in phases[op_type])
        rows.append((op_type, where, f"{calls[op_type] / n_steps:.0f}", f"{s * 1e3 / n_steps:.3f}"))
    return rows


def profile_section(args, blocks):
    spec, trainer, data, batch_size = trainer_setup(args.rows)
    concrete, scoped = scoped_epoch(trainer)
    order = epoch_order(args.rows, args.steps, batch_size)
    # Profiled first, after a single short epoch: once TensorFlow's executor has timed
    # its kernels over many steps, it stops tracing the cheap ones (most of the optimizer's).
    short = order[: args.profile_steps * batch_size]
    scoped(*data, short, batch_size, 1e-4)
    start = time.perf_counter()
    ops = profiled_ops(scoped, data, short, batch_size, args.profile_epochs)
    n_steps = args.profile_epochs * args.profile_steps
    profiled_ms = (time.perf_counter() - start) * 1e3 / n_steps
    epochs = {"Trainer.train_epoch": (trainer.train_epoch, data), "scoped copy": (scoped, data)}
    ms = interleaved_ms(epochs, order, batch_size, args.repeats)
    headers = ["phase", "ops run / step", "op ms / step", "share of op time", "traced nodes"]
    table = markdown(headers, phase_rows(ops, body_ops(concrete), n_steps, profiled_ms))
    by_type = markdown(
        ["op type (top by time)", "phases", "runs / step", "op ms / step"],
        op_type_rows(ops, n_steps, args.top_ops),
        2,
    )
    lines = [
        f"The default network ({describe(spec)}), batch {batch_size}; TensorFlow's profiler "
        f"over {args.profile_epochs} epochs of {args.profile_steps} steps, op events of the "
        "executor's threads (tf_Compute) summed by the name scope of their node.",
        f"Unprofiled: Trainer.train_epoch {ms['Trainer.train_epoch']:.3f} ms/step, the scoped "
        f"copy {ms['scoped copy']:.3f} ms/step (medians of {args.repeats}, epochs of "
        f"{args.steps} steps).",
        "Op time is what the kernels took, inflated by the profiler's tracing of every op; "
        "the two executor threads overlap, and the wall time adds the executor's scheduling.",
        "Traced nodes: the loop body's nodes before Grappler's rewrites; ops run: after them.",
    ]
    show(blocks, "Where the default step's time goes", table + "\n\n" + by_type, lines)


# --- tables: default fit + predict against the MLP pipeline ----------------------------

TABLE_GROUPS = ("small", "development", "bundled")


def wanted(table, names):
    """Whether ``names`` (tables and groups) asks for ``table``, before it is read."""
    if table.name in names:
        return True
    if not table.development:
        return "bundled" in names
    return bool(names & {"small", "development"})


def kept(table, n_rows, names):
    """Whether a read table stays: the group "small" alone leaves out the development
    tables of ``SMALL_ROWS`` rows or more."""
    if table.name in names or not table.development or "development" in names:
        return True
    return n_rows < SMALL_ROWS


def selected_tables(names, data_dir):
    """{table: (X, y)} for ``names`` (None: all), read as benchmarks/tables.py reads them."""
    names = set(names or ["development", "bundled"])
    loaded = tables.load_tables([t for t in tables.TABLES if wanted(t, names)], data_dir)
    return {t: (X, y) for t, (X, y, _) in loaded.items() if kept(t, len(y), names)}


def table_seconds(table, X, y, seeds):
    """Median seconds of fit + predict over ``seeds`` for grn and mlp (tables.run_table)."""
    runs = tables.run_table(table, X, y, ["grn", "mlp"], seeds, {})
    return {
        model: float(np.median([run.seconds for run in runs if run.model == model]))
        for model in ("grn", "mlp")
    }


def table_row(table, n_rows, seconds):
    ratio = seconds["grn"] / seconds["mlp"]
    judged = not table.development or n_rows < SMALL_ROWS
    mark = ("met" if ratio <= TABLE_VS_MLP else "NOT met") if judged else "total only"
    group = "bundled" if not table.development else ("small" if n_rows < SMALL_ROWS else "large")
    row = (table.name, group, n_rows, f"{seconds['grn']:.2f}", f"{seconds['mlp']:.2f}")
    return (*row, f"{ratio:.2f}", mark)


def total_line(results):
    """The development tables' total, judged only when every one of them ran."""
    dev = [(t, s) for t, (_, s) in results.items() if t.development]
    if not dev:
        return "No development table ran: no total."
    grn, mlp = (sum(s[model] for _, s in dev) for model in ("grn", "mlp"))
    n_all = sum(t.development for t in tables.TABLES)
    text = f"Total over the {len(dev)} development table(s) run: grn {grn:.1f} s, mlp {mlp:.1f} s, "
    if len(dev) < n_all:
        return text + f"{grn / mlp:.2f}x (not the target's total: {len(dev)} of {n_all} ran)."
    return text + verdict(grn / mlp, TOTAL_VS_MLP) + "."


def tables_section(args, blocks):
    loaded = selected_tables(args.tables, args.data_dir)
    if not loaded:
        sys.exit("tables: no table to run (is --data-dir or DATA_DIR set?)")
    seeds = range(args.seeds)
    results = {t: (len(y), table_seconds(t, X, y, seeds)) for t, (X, y) in loaded.items()}
    rows = [table_row(t, n, s) for t, (n, s) in results.items()]
    headers = [
        "table",
        "group",
        "rows",
        "grn s",
        "mlp s",
        "grn / mlp",
        f"at most {TABLE_VS_MLP:g}x",
    ]
    failed = [row[0] for row in rows if row[-1] == "NOT met"]
    judged = sum(row[-1] != "total only" for row in rows)
    lines = [
        "Fit + predict seconds, "
        + ("seed 0" if args.seeds == 1 else f"medians over seeds 0 to {args.seeds - 1}")
        + " of benchmarks/tables.py's 80/20 splits; grn: the default estimator, mlp: its one-hot + "
        "standardise + MLP pipeline.",
        f"Per-table target (development tables under {SMALL_ROWS:,} rows, bundled sets): met on "
        f"{judged - len(failed)} of {judged}"
        + (f"; not on {', '.join(failed)}." if failed else "."),
        total_line(results),
    ]
    show(blocks, "Fit + predict against the MLP pipeline", markdown(headers, rows, 2), lines)


# --- checks: scikit-learn's check suite ------------------------------------------------

# Run in a fresh interpreter: the seconds of the imports and of check_estimator.
CHECKS = """
import json, os, time, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
start = time.perf_counter()
from sklearn.utils.estimator_checks import check_estimator
from {module} import {name}
imported = time.perf_counter()
warnings.simplefilter("ignore")
results = check_estimator({name}(), on_fail=None, on_skip=None)
failed = [r["check_name"] for r in results if r["status"] == "failed"]
seconds = time.perf_counter() - imported
print(json.dumps({{"import": imported - start, "checks": seconds, "failed": failed}}))
"""
CHECKED = {
    "grn": [("skgrn", "GRNClassifier"), ("skgrn", "GRNRegressor")],
    "mlp": [
        ("sklearn.neural_network", "MLPClassifier"),
        ("sklearn.neural_network", "MLPRegressor"),
    ],
}


def checks_run(module, name):
    """(process wall seconds, the child's report) of check_estimator(name()) in a fresh process."""
    start = time.perf_counter()
    report = run_fresh(CHECKS.format(module=module, name=name))
    return time.perf_counter() - start, report


def checks_section(args, blocks):
    walls, reports = {}, {}
    for _ in range(args.check_rounds):  # the estimators take turns in every round
        for module, name in CHECKED["grn"] + CHECKED["mlp"]:
            wall, report = checks_run(module, name)
            walls.setdefault(name, []).append(wall)
            reports.setdefault(name, []).append(report)
            print(f"  check_estimator({name}()): {wall:.1f} s", flush=True)
    median = {name: float(np.median(values)) for name, values in walls.items()}
    inside = {name: float(np.median([r["checks"] for r in rs])) for name, rs in reports.items()}
    rows = []
    for name in median:
        failed = sorted({check for r in reports[name] for check in r["failed"]})
        rows.append(
            (name, f"{median[name]:.1f}", f"{inside[name]:.1f}", ", ".join(failed) or "none")
        )
    pair = {k: [name for _, name in v] for k, v in CHECKED.items()}
    total = {k: sum(median[name] for name in names) for k, names in pair.items()}
    only = {k: sum(inside[name] for name in names) for k, names in pair.items()}
    lines = [
        f"Each estimator in a fresh process; medians of {args.check_rounds} round(s).",
        f"GRN pair / MLP pair, process wall time ({total['grn']:.1f} s / {total['mlp']:.1f} s): "
        f"{verdict(total['grn'] / total['mlp'], CHECKS_VS_MLP)}.",
        f"Without the imports ({only['grn']:.1f} s / {only['mlp']:.1f} s): "
        f"{only['grn'] / only['mlp']:.2f}x.",
    ]
    headers = ["estimator", "process s", "check_estimator s", "failed checks"]
    show(blocks, "scikit-learn's check suite", markdown(headers, rows), lines)


# --- startup: the import and the first fit ---------------------------------------------

# Run in a fresh interpreter: the seconds of one import, and whether it imported TensorFlow.
IMPORT = """
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
start = time.perf_counter()
import {module}
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "tensorflow": "tensorflow" in sys.modules}}))
"""
# Run in a fresh interpreter: the seconds of its first default fit, then of later ones.
FITS = """
import json, os, sys, time, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, {benchmarks!r})
from speed import step_data
from skgrn import GRNClassifier
X, y = step_data({rows})
warnings.simplefilter("ignore")
seconds = []
for _ in range({fits}):
    start = time.perf_counter()
    GRNClassifier(random_state=0).fit(X, y)
    seconds.append(time.perf_counter() - start)
print(json.dumps(seconds))
"""
IMPORTED = ("skgrn", "tensorflow", "keras")


def import_rows(rounds):
    """Median import seconds of each module in ``IMPORTED``, fresh processes taking turns."""
    reports = {module: [] for module in IMPORTED}
    for _ in range(rounds):
        for module in IMPORTED:
            reports[module].append(run_fresh(IMPORT.format(module=module)))
    seconds = {m: float(np.median([r["seconds"] for r in rs])) for m, rs in reports.items()}
    imports_tf = {m: any(r["tensorflow"] for r in rs) for m, rs in reports.items()}
    return seconds, imports_tf


def fit_rows(rows, rounds, fits=3):
    """Median first-fit seconds over ``rounds`` fresh processes, and the median of the
    later fits in them."""
    code = FITS.format(benchmarks=str(BENCHMARKS), rows=rows, fits=fits)
    runs = [run_fresh(code) for _ in range(rounds)]
    first = float(np.median([r[0] for r in runs]))
    return first, float(np.median([s for r in runs for s in r[1:]]))


def import_line(seconds, imports_tf):
    if not imports_tf["skgrn"]:
        return "`import skgrn` imports TensorFlow: no (target met)."
    ratio = seconds["skgrn"] / seconds["tensorflow"]
    return f"`import skgrn` imports TensorFlow: yes; {verdict(ratio, IMPORT_VS_TENSORFLOW)}."


def startup_section(args, blocks):
    seconds, imports_tf = import_rows(args.rounds)
    base = seconds["tensorflow"]
    rows = [
        (f"import {m}", f"{seconds[m]:.2f}", f"{seconds[m] / base:.2f}", imports_tf[m])
        for m in IMPORTED
    ]
    lines = [
        f"Imports: fresh processes taking turns, medians of {args.rounds}; ratios to "
        "`import tensorflow`.",
        import_line(seconds, imports_tf),
    ]
    table = markdown(["what", "seconds", "/ import tensorflow", "TensorFlow imported"], rows)
    fit_table = []
    for n_rows in args.fit_rows:
        first, later = fit_rows(n_rows, args.rounds)
        ratio = first / later
        fit_table.append(
            (f"{n_rows} x {N_FEATURES}", f"{first:.2f}", f"{later:.2f}", f"{ratio:.2f}")
        )
        lines.append(f"First fit / later fit, {n_rows} rows: {verdict(ratio, FIRST_VS_LATER_FIT)}.")
    lines.append(
        "Fits: a default GRNClassifier on step_data(rows); the first fit in each of "
        f"{args.rounds} fresh process(es), and the two later fits of the same shape in each "
        "(medians)."
    )
    headers = ["table (rows x numeric columns)", "first fit s", "later fit s", "first / later"]
    show(blocks, "Import and first fit", table + "\n\n" + markdown(headers, fit_table), lines)


# --- command line ----------------------------------------------------------------------

RUNNERS = {
    "step": step_section,
    "profile": profile_section,
    "tables": tables_section,
    "checks": checks_section,
    "startup": startup_section,
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    add = parser.add_argument
    add("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="default: all")
    add("--rows", type=int, default=1000, help="rows of the step and profile table")
    add("--steps", type=int, default=200, help="steps per timed epoch")
    add("--repeats", type=int, default=7, help="timed epochs per network (median)")
    add("--variants", action="store_true", help="step: also time three cheaper networks")
    add("--profile-epochs", type=int, default=2, help="profiled epochs")
    add("--profile-steps", type=int, default=20, help="steps per profiled epoch")
    add("--top-ops", type=int, default=12, help="profile: op types listed")
    add("--data-dir", type=Path, default=os.environ.get("DATA_DIR"), help="default: $DATA_DIR")
    add("--tables", nargs="+", choices=[*TABLE_GROUPS, *(t.name for t in tables.TABLES)])
    add("--seeds", type=int, default=3, help="tables: splits per table (seeds 0..N-1)")
    add("--check-rounds", type=int, default=1, help="checks: rounds of the four processes")
    add("--rounds", type=int, default=3, help="startup: fresh processes per measurement")
    add("--fit-rows", type=int, nargs="+", default=[100, 1000], help="startup: table rows")
    add("--write", type=Path, help="markdown file whose speed section to replace")
    args = parser.parse_args(argv)
    counts = ("rows", "steps", "repeats", "profile_epochs", "profile_steps", "top_ops")
    counts += ("seeds", "check_rounds", "rounds")
    if any(getattr(args, name) < 1 for name in counts) or min(args.rows, *args.fit_rows) < 2:
        parser.error("counts must be at least 1, --rows and --fit-rows at least 2")
    if args.profile_steps > args.steps:
        parser.error("--profile-steps must be at most --steps")
    if args.data_dir is not None and not args.data_dir.is_dir():
        parser.error(f"{args.data_dir} is not a directory")
    return args


def main(argv=None):
    args = parse_args(argv)
    machine = machine_lines()
    print("\n".join(machine), flush=True)
    blocks = []
    for name in SECTIONS:  # in this order, whatever the order asked
        if name in args.sections:
            RUNNERS[name](args, blocks)
    if args.write is not None:
        intro = header_blocks("Speed against the arithmetic (issue 18)", args.data_dir)
        intro[2] = "  \n".join(machine)
        write_section(args.write, SECTION, section(SECTION, [*intro, *blocks]))
        print(f"Wrote {args.write}")


if __name__ == "__main__":
    main()
