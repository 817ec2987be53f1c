"""The ``fastnas`` command line (the only module that parses argv).

Commands call library functions; each section below belongs to one subpackage. Errors: a user's mistake (a bad
value, an unknown name, a missing or damaged file, a missing optional extra) prints one line ``Error: ...`` and
exits 1; the translation happens in one place, :class:`_Main`. ``FASTNAS_DEBUG=1`` shows the full traceback.
"""
from __future__ import annotations

import os

import click

# what a user can cause by the arguments, files or installation they give us (library code raises these with
# messages naming the problem); anything else is a bug and keeps its traceback
_USER_ERRORS = (ValueError, TypeError, KeyError, OSError, ImportError)


def _one_line(exc: BaseException) -> str:
    """The message of a library error as one line, without any advice to load files unsafely."""
    from fastnas._safeload import scrub

    if isinstance(exc, KeyError) and exc.args:
        msg = str(exc.args[0])
    elif isinstance(exc, OSError) and exc.strerror and exc.filename:
        msg = f"{exc.filename}: {exc.strerror}"
    else:
        msg = str(exc) or type(exc).__name__
    return " ".join(scrub(msg).split())


class _Main(click.Group):
    """The command group that turns user errors raised anywhere below it into one-line click errors."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except _USER_ERRORS as exc:
            if os.environ.get("FASTNAS_DEBUG"):
                raise
            raise click.ClickException(_one_line(exc)) from exc


def _writable_file(path: str, option: str) -> str:
    """Refuse an output file we could not write, before any work is done."""
    target = os.path.abspath(path)
    parent = os.path.dirname(target)
    if os.path.isdir(target):
        raise click.BadParameter(f"{path} is a directory, not a file", param_hint=option)
    if not os.path.isdir(parent):
        raise click.BadParameter(f"folder {parent} does not exist", param_hint=option)
    if not os.access(parent, os.W_OK) or not _can_create_in(parent):
        raise click.BadParameter(f"folder {parent} is not writable", param_hint=option)
    return path


def _can_create_in(folder: str) -> bool:
    """Create and remove a temporary file in ``folder``: ``os.access`` says yes to root on any folder, and
    to read-only mounts and pseudo file systems, where the write after a long run would fail."""
    import tempfile

    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".fastnas-write-test-"):
            pass
    except OSError:
        return False
    return True


def _writable_dir(path: str, option: str) -> str:
    """Refuse an output folder we could neither use nor create, before any work is done: the folder itself may be
    created, but its parent must exist (as ``_writable_file`` requires of a file's folder), so a typo never
    creates a tree of folders."""
    target = os.path.abspath(path)
    if os.path.exists(target) and not os.path.isdir(target):
        raise click.BadParameter(f"{path} exists and is not a folder", param_hint=option)
    probe = target if os.path.isdir(target) else os.path.dirname(target)
    if not os.path.isdir(probe):
        raise click.BadParameter(f"folder {probe} does not exist", param_hint=option)
    if not os.access(probe, os.W_OK) or not _can_create_in(probe):
        raise click.BadParameter(f"cannot write to {path} ({probe} is not a writable folder)", param_hint=option)
    return path


@click.group(cls=_Main, epilog="Errors print one line; set FASTNAS_DEBUG=1 for the full traceback.")
@click.version_option(package_name="fastnas")
def main():
    """fastnas: fast neural architecture search."""


@main.command("config")
def config_cmd():
    """Show which compiled backends loaded."""
    import fastnas

    fastnas.show_config()


@main.command("demo")
@click.option("--out", default="demo-out", show_default=True, help="output folder for tables and plots")
@click.option("--quiet", is_flag=True, help="no progress bars")
def demo_cmd(out, quiet):
    """Run the main demo on bundled real data."""
    from fastnas import _demo

    _demo.run(out, progress=not quiet)


# ---- spaces ----------------------------------------------------------------------------------
# nb201 (fastnas/spaces/nb201*)
_NB201_FORMATS = ("string", "index", "code", "naslib", "naszilla")


@main.group("nb201")
def nb201_cmd():
    """NAS-Bench-201 cells: convert between formats, keys, validity."""


@nb201_cmd.command("convert")
@click.argument("cells", nargs=-1, required=True)
@click.option("--from", "src", type=click.Choice(_NB201_FORMATS), default="string", show_default=True,
              help="format of CELLS (naslib: '(4, 3, 3, 3, 2, 3)'; naszilla: '2,2,2,4,2,1')")
@click.option("--to", "dst", type=click.Choice(_NB201_FORMATS + ("key", "valid")), multiple=True,
              help="output columns (repeatable; default: every format, key and valid)")
def nb201_convert_cmd(cells, src, dst):
    """Print CELLS in other formats, one tab-separated line per cell."""
    from fastnas.spaces.nb201 import NB201

    space = NB201()
    try:
        if src == "string":
            c = NB201.from_strings(list(cells))
        elif src in ("index", "code"):
            vals = [int(x) for x in cells]
            c = NB201.from_index(vals) if src == "index" else NB201.from_code(vals)
        elif src == "naslib":
            c = NB201.from_naslib(list(cells))
        else:
            c = NB201.from_naszilla([[int(v) for v in x.split(",")] for x in cells])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="CELLS") from None
    cols = {
        "string": NB201.to_strings(c), "index": NB201.to_index(c).tolist(), "code": NB201.to_code(c).tolist(),
        "naslib": NB201.to_naslib(c, as_strings=True),
        "naszilla": [",".join(map(str, r)) for r in NB201.to_naszilla(c).tolist()],
        "key": space.key(c).tolist(), "valid": space.is_valid(c).tolist(),
    }
    names = list(dst) or list(cols)
    click.echo("\t".join(names))
    for i in range(len(c)):
        click.echo("\t".join(str(cols[n][i]) for n in names))


# darts (fastnas/spaces/darts*)
_DARTS_FORMATS = ("zc", "genotype")


@main.group("darts")
def darts_cmd():
    """DARTS / NAS-Bench-301 cells: convert between formats, keys, validity."""


@darts_cmd.command("convert")
@click.argument("cells", nargs=-1, required=True)
@click.option("--from", "src", type=click.Choice(_DARTS_FORMATS), default="zc", show_default=True,
              help="format of CELLS (zc: '[[(0, 3), ...], [...]]'; genotype: 'Genotype(normal=[...], ...)')")
@click.option("--to", "dst", type=click.Choice(_DARTS_FORMATS + ("key", "valid")), multiple=True,
              help="output columns (repeatable; default: every format, key and valid)")
def darts_convert_cmd(cells, src, dst):
    """Print CELLS in other formats, one tab-separated line per cell."""
    from fastnas.spaces.darts import DARTS

    space = DARTS()
    try:
        c = DARTS.from_zc_keys(list(cells)) if src == "zc" else DARTS.from_genotype(list(cells))
        valid = space.is_valid(c)
        keys = [str(int(k)) for k in space.key(c[valid])]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="CELLS") from None
    key_col = iter(keys)
    cols = {
        "zc": DARTS.to_zc_keys(c), "genotype": DARTS.to_genotype(c, as_strings=True),
        "key": [next(key_col) if v else "" for v in valid.tolist()], "valid": valid.tolist(),
    }
    names = list(dst) or list(cols)
    click.echo("\t".join(names))
    for i in range(len(c)):
        click.echo("\t".join(str(cols[n][i]) for n in names))


# nbgraph (fastnas/spaces/nbgraph*)
_NBGRAPH_FORMATS = ("string", "hash")


@main.group("nbgraph")
def nbgraph_cmd():
    """NAS-Bench-Graph architectures: convert, canonical benchmark key, validity."""


@nbgraph_cmd.command("convert")
@click.argument("cells", nargs=-1, required=True)
@click.option("--from", "src", type=click.Choice(_NBGRAPH_FORMATS), default="string", show_default=True,
              help="format of CELLS (string: 'link=0,1,2,3 ops=skip,skip,gcn,gcn'; hash: 88811)")
@click.option("--to", "dst", type=click.Choice(_NBGRAPH_FORMATS + ("canonical", "valid")), multiple=True,
              help="output columns (repeatable; default: all)")
@click.option("--dataset", default=None, help="proteins restricts the ops")
def nbgraph_convert_cmd(cells, src, dst, dataset):
    """Print CELLS in other formats, one tab-separated line per cell."""
    from fastnas.spaces.nbgraph import NBGraph

    space = NBGraph(dataset)
    try:
        if src == "string":
            c = NBGraph.from_strings(list(cells))
        else:
            c = NBGraph.from_hash([int(x) for x in cells])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="CELLS") from None
    cols = {
        "string": NBGraph.to_strings(c), "hash": NBGraph.to_hash(c).tolist(),
        "canonical": NBGraph.to_strings(space.canonical(c)), "valid": space.is_valid(c).tolist(),
    }
    names = list(dst) or list(cols)
    click.echo("\t".join(names))
    for i in range(len(c)):
        click.echo("\t".join(str(cols[n][i]) for n in names))


# ---- data / query (fastnas.nasbench) ---------------------------------------------------------
@main.group("data")
def data_group():
    """Tabular benchmark data: list, describe, convert and verify stores."""


@data_group.command("list")
@click.option("--root", default=None, help="look only in this store root")
def data_list_cmd(root):
    """List the benchmark stores found (user cache, then bundled) and the zero-cost tables."""
    from fastnas.nasbench import available
    from fastnas.nasbench.zc import TABLES

    for name, dataset, path in available(root):
        click.echo(f"{name:14s} {dataset:16s} {path}")
    for space, datasets in TABLES.items():
        click.echo(f"{'zc-' + space:14s} {', '.join(datasets)}  (fastnas.nasbench.load_zc)")


@data_group.command("info")
@click.argument("name")
@click.option("--dataset", default=None, help="dataset (required when the benchmark has several)")
@click.option("--root", default=None)
def data_info_cmd(name, dataset, root):
    """Describe one benchmark store as JSON (metrics, splits, epochs, units, source)."""
    import json

    from fastnas.nasbench import load

    info = load(name, dataset=dataset, root=root, progress=False).info()  # errors: one line, via _Main
    click.echo(json.dumps(info, indent=1))


@data_group.command("convert")
@click.argument("path", type=click.Path(exists=True))
@click.option("--kind", type=click.Choice(["auto", "nb101", "nb201"]), default="auto", show_default=True)
@click.option("--root", default=None, help="store root (default: the user cache)")
@click.option("--hp", default="200", show_default=True, help="NB201/NATS schedule: 200 or 12 epochs")
@click.option("--quiet", is_flag=True, help="no progress bars")
def data_convert_cmd(path, kind, root, hp, quiet):
    """Convert an official NAS-Bench-101 tfrecord or NAS-Bench-201/NATS-Bench file into stores."""
    from fastnas.nasbench.convert import convert, detect

    opts = {"hp": hp} if (detect(path) if kind == "auto" else kind) == "nb201" else {}
    paths = convert(path, kind, root, progress=not quiet, **opts)  # format errors name the file (one line)
    for p in paths:
        click.echo(str(p))


@data_group.command("verify")
@click.argument("name", required=False)
@click.option("--dataset", default=None)
@click.option("--root", default=None)
def data_verify_cmd(name, dataset, root):
    """Check every store (or one): manifest, n_rows, file paths, SHA-256 of every column; exit 1 on any problem."""
    from fastnas.nasbench._registry import verify

    results = verify(name, dataset, root)
    if not results:
        raise click.ClickException(f"no stores found under {root or 'the user cache and the bundled data'}")
    bad = 0
    for label, problems in results:
        click.echo(f"{label}: {'ok' if not problems else '; '.join(problems)}")
        bad += bool(problems)
    if bad:
        raise click.ClickException(f"{bad} of {len(results)} store(s) damaged or missing")


@main.command("query")
@click.argument("name")
@click.argument("cells", nargs=-1, required=True)
@click.option("--dataset", default=None)
@click.option("--metric", default="accuracy", show_default=True)
@click.option("--split", default="valid", show_default=True)
@click.option("--seed", default="mean", show_default=True, help="mean, sample or a seed position")
@click.option("--epoch", type=int, default=None)
@click.option("--missing", type=click.Choice(["raise", "nan"]), default="raise", show_default=True,
              help="a cell or seed the data does not hold: an error (exit 1), or print nan")
@click.option("--root", default=None)
def query_cmd(name, cells, dataset, metric, split, seed, epoch, missing, root):
    """Query cells given as NB201 arch strings / official indices, or NB101 specs as JSON
    ('{"matrix": [[...]], "ops": ["input", ..., "output"]}')."""
    from fastnas.nasbench import load
    from fastnas.nasbench.convert import parse_cells

    bench = load(name, dataset=dataset, root=root, progress=False)
    batch = parse_cells(bench, cells)
    seed_arg = int(seed) if seed.lstrip("-").isdigit() else seed
    if seed != "mean" and bench.metrics().get(metric) == [None]:
        raise click.BadParameter(f"{metric} is a static cost (one value per cell, no training seeds); "
                                 "--seed applies to trained metrics only", param_hint="--seed")
    # the API's own errors (a missing cell or seed, a split the data does not hold) print as one line via _Main,
    # never a silent nan; an error about one cell names it as the user typed it, not by its internal key
    try:
        values = bench.query(batch, metric=metric, split=split, seed=seed_arg, epoch=epoch, missing=missing)
    except (KeyError, ValueError) as exc:
        j = getattr(exc, "position", None)
        if j is None:
            raise
        typed = cells[j].strip()
        what = f"index {typed}" if typed.isdigit() else f"cell {typed}"
        raise click.ClickException(f"{what} {exc.reason} (--missing nan prints nan instead)") from None
    for text, v in zip(cells, values):
        click.echo(f"{v:.6g}\t{text}")


# ---- search / simulate (fastnas.search, fastnas.sim) -----------------------------------------
@main.command("search")
@click.argument("algorithm")
@click.option("--benchmark", default="nb201/cifar10-valid", show_default=True, help="name/dataset")
@click.option("--budget", default=150, show_default=True, type=click.IntRange(min=1), help="queries")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--batch-size", default=None, type=click.IntRange(min=1), help="cells per ask (default: the algorithm's)")
@click.option("--param", "-p", multiple=True, help="algorithm parameter KEY=VALUE (repeatable)")
@click.option("--save", default=None, help="write the optimizer state (.npz) here")
@click.option("--quiet", is_flag=True, help="no progress bar")
def search_cmd(algorithm, benchmark, budget, seed, batch_size, param, save, quiet):
    """One search run; prints the best cell and its validation accuracy (multi-fidelity searches: the best
    cell trained to the final epoch, with its epoch; NB301: labelled a surrogate prediction)."""
    from fastnas.search import Oracle, make, run
    from fastnas.sim._trial import resolve_benchmark
    from fastnas.sim.config import parse_value

    params = {}
    for kv in param:
        k, sep, v = kv.partition("=")
        if not sep:
            raise click.BadParameter(f"expected KEY=VALUE, got {kv!r}", param_hint="--param")
        params[k] = parse_value(v)
    if save:
        _writable_file(save, "--save")  # before the run, not after it
    bench = resolve_benchmark(benchmark)
    opt = make(algorithm, bench.space, seed=seed, **params)
    oracle = Oracle(bench, budget=budget)
    run(opt, oracle, batch_size=batch_size, progress=not quiet)
    cell, value, where = _headline(opt)
    click.echo(f"best: {bench.space.to_strings(cell)[0]}")
    click.echo(f"best {_value_kind(bench)}validation accuracy {value:.4f}{where}  ({oracle.n_queries} queries, "
               + (f"{oracle.n_evals} evaluations incl. promotions, " if getattr(opt, "multi_fidelity", False) else "")
               + f"{oracle.time_used / 3600:.1f} simulated GPU hours)")
    if save:
        opt.save(save)


def _value_kind(bench) -> str:
    """"surrogate " for a benchmark whose values are model predictions (NB301), else ""."""
    info = getattr(bench, "info", None)
    try:
        return "surrogate " if callable(info) and info().get("kind") == "surrogate" else ""
    except Exception:  # noqa: BLE001 - a benchmark without a usable info() is a table
        return ""


def _headline(opt):
    """(cell, value, " at epoch E ...") of the number a search reports: for a multi-fidelity search the best
    *fully trained* cell (a low-fidelity value is not the accuracy of a trained network), else ``best()``."""
    if not getattr(opt, "multi_fidelity", False):
        cell, value = opt.best()
        return cell, value, ""
    full = opt.best_full()
    if full is not None:
        return full[0], full[1], f" at epoch {opt.max_epoch}"
    cell, value = opt.best()
    return cell, value, f" at epoch {opt.best_epoch()} (no cell trained to the final epoch {opt.max_epoch})"


def _check_simulate_config(cfg: dict, source) -> None:
    """Values a config file may hold, checked before anything runs (flags are checked by click)."""
    where = f"{source}: " if source else ""

    def positive_int(key, optional):
        v = cfg.get(key)
        if v is None and optional:
            return
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise click.UsageError(f"{where}{key} must be a positive integer, got {v!r}")

    trials = cfg.get("trials", 10)
    if isinstance(trials, list):
        if not trials or not all(isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in trials):
            raise click.UsageError(f"{where}trials must be a positive integer or a non-empty list of trial "
                                   f"indices >= 0, got {trials!r}")
    else:
        positive_int("trials", optional=True)
    positive_int("budget", optional=True)
    positive_int("n_workers", optional=True)
    for key in ("algorithms", "benchmarks"):
        v = cfg[key]
        if isinstance(v, str):
            cfg[key] = [v]
        elif not isinstance(v, (list, tuple)) or not v:
            raise click.UsageError(f"{where}{key} must be a non-empty list, got {v!r}")
    if not isinstance(cfg["out"], str) or not cfg["out"]:
        raise click.UsageError(f"{where}out must be a folder path, got {cfg['out']!r}")


@main.command("simulate")
@click.option("--config", "config_path", default=None, help="JSON or TOML file of simulate() arguments")
@click.option("--algorithms", default=None, help="comma-separated names, e.g. random,evolution,bananas")
@click.option("--benchmarks", default=None, help="comma-separated name/dataset specs")
@click.option("--trials", default=None, type=click.IntRange(min=1))
@click.option("--budget", default=None, type=click.IntRange(min=1))
@click.option("--seed", default=None, type=click.IntRange(min=0))
@click.option("--backend", default=None, type=click.Choice(["serial", "processes", "ray"]))
@click.option("--workers", "n_workers", default=None, type=click.IntRange(min=1))
@click.option("--address", default=None, help="Ray cluster address")
@click.option("--out", default=None, help="results folder (resumes if it holds this simulation)")
@click.option("--time-budget", "time_budget_h", default=None, type=click.FloatRange(min=0, min_open=True),
              metavar="HOURS", help="simulated GPU HOURS of training per trial (the config key time_budget is "
                                    "in seconds); without --budget the query budget is then unlimited")
@click.option("--quiet", is_flag=True, help="no progress bar")
def simulate_cmd(config_path, algorithms, benchmarks, trials, budget, seed, backend, n_workers, address, out,
                 time_budget_h, quiet):
    """Many seeded trials; prints the final regret table, writes results, table and plots to --out."""
    import os

    from fastnas.sim import simulate
    from fastnas.sim.config import read_config

    try:
        cfg = read_config(config_path) if config_path else {}
    except ValueError as exc:  # JSON / TOML syntax errors do not name the file
        msg = _one_line(exc)
        raise click.BadParameter(msg if str(config_path) in msg else f"{config_path}: {msg}",
                                 param_hint="--config") from None
    if not isinstance(cfg, dict):
        raise click.BadParameter(f"{config_path}: expected a table of simulate() arguments, got "
                                 f"{type(cfg).__name__}", param_hint="--config")
    flags = {"algorithms": algorithms.split(",") if algorithms else None,
             "benchmarks": benchmarks.split(",") if benchmarks else None, "trials": trials, "budget": budget,
             "seed": seed, "backend": backend, "n_workers": n_workers, "address": address, "out": out}
    file_keys = set(cfg)
    cfg.update({k: v for k, v in flags.items() if v is not None})
    if time_budget_h is not None:
        cfg["time_budget"] = float(time_budget_h) * 3600.0
        if budget is None and "budget" not in file_keys:
            cfg["budget"] = None  # the time budget alone limits the trials
    cfg.setdefault("algorithms", ["random", "evolution"])
    cfg.setdefault("benchmarks", ["nb201/cifar10-valid"])
    cfg.setdefault("out", "sim-out")
    _check_simulate_config(cfg, config_path)
    from fastnas.sim.simulate import _algorithms

    _algorithms(cfg["algorithms"])  # unknown names: one-line error before --out is touched
    _writable_dir(cfg["out"], "--out")  # before the run, not after it
    try:
        res = simulate(progress=not quiet, **cfg)
    except KeyboardInterrupt:
        import glob

        trials = cfg.get("trials", 10)
        n_trials = len(trials) if isinstance(trials, list) else int(trials)
        total = len(cfg["algorithms"]) * len(cfg["benchmarks"]) * n_trials
        kept = len(glob.glob(os.path.join(cfg["out"], "trials", "*.parquet")))
        click.echo(f"interrupted: {kept} of {total} trials finished and kept in {cfg['out']}; rerun the same "
                   "command to resume (only the missing trials run)", err=True)
        raise SystemExit(130) from None
    table = res.table()
    header = res.header()
    if header:
        click.echo(header)
    click.echo(table.to_string(index=False))
    with open(os.path.join(cfg["out"], "table.csv"), "w", encoding="utf-8") as fh:
        fh.write(header + "\n" if header else "")  # comment lines: pandas.read_csv(..., comment="#")
        table.to_csv(fh, index=False)
    click.echo(f"plot: {res.plot()}")
    if cfg.get("time_budget") is not None or res.multi_fidelity:
        click.echo(f"plot: {res.plot(x='time')}")


# ---- predictors ------------------------------------------------------------------------------
@main.group("predictors")
def predictors_group():
    """Performance predictors (fastnas.predictors)."""


@predictors_group.command("list")
def predictors_list_cmd():
    """Registered predictors with their family and whether they load here (and if not, why)."""
    from fastnas import predictors as P
    from fastnas._extras import predictor_missing

    for name in sorted(P.PREDICTORS):
        why = predictor_missing(name)
        if why is None:
            try:
                P._registry._get(name)
            except (ValueError, ImportError) as exc:
                why = _one_line(exc)
        click.echo(f"{name:16s} {P.family(name):15s} {'ok' if why is None else 'unavailable: ' + why}")


@predictors_group.command("evaluate")
@click.option("--predictors", "names", default=None,
              help="comma-separated predictor names (see 'fastnas predictors list') [default: blr,gp,rf,xgb,lgb, "
                   "without those whose optional extra is not installed]")
@click.option("--data", type=click.Choice(["nb201", "nb201-zc", "lc-digits", "synthetic"]), default="nb201",
              show_default=True)
@click.option("--dataset", default="cifar10-valid", show_default=True)
@click.option("--train-sizes", default=None, help="comma-separated (default: log-spaced 5..1000)")
@click.option("--test-size", default=200, show_default=True, type=click.IntRange(min=1))
@click.option("--fidelities", default=None, help="comma-separated epochs of curve shown")
@click.option("--seeds", default=3, show_default=True, type=click.IntRange(min=1), help="number of trials")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--out", default="predictors-out", show_default=True, help="folder for parquet, csv and png")
@click.option("--quiet", is_flag=True, help="no progress bars")
@click.option("--preset", default=None, help="predictor settings: 'white2021' (NASLib's, as in White et al. 2021); "
              "default: each predictor's own paper")
def predictors_evaluate_cmd(names, data, dataset, train_sizes, test_size, fidelities, seeds, seed, out, quiet,
                            preset):
    """Run the White et al. 2021 evaluation protocol and write results.parquet, summary.csv, kendall_tau.png."""
    from fastnas.predictors.evaluate_report import run

    from fastnas._extras import predictor_missing

    def ints(s):
        try:
            return None if s is None else [int(v) for v in s.split(",") if v.strip()]
        except ValueError:
            raise click.BadParameter(f"expected comma-separated integers, got {s!r}") from None

    if names is None:  # the default runs what this installation can run, and says what it skips
        chosen = [n for n in ("blr", "gp", "rf", "xgb", "lgb") if predictor_missing(n) is None]
        for n in ("blr", "gp", "rf", "xgb", "lgb"):
            if n not in chosen:
                click.echo(f"skipping {n}: {predictor_missing(n)}", err=True)
        names = ",".join(chosen)
    _writable_dir(out, "--out")
    try:
        _, summ = run([n.strip() for n in names.split(",") if n.strip()], data, dataset=dataset, out=out,
                      train_sizes=ints(train_sizes), test_size=test_size, fidelities=ints(fidelities), seeds=seeds,
                      seed=seed, progress=not quiet, preset=preset)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(summ.to_string(index=False))
    click.echo(f"wrote {out}/results.parquet, summary.csv, kendall_tau.png")


# ---- automl ----------------------------------------------------------------------------------
@main.command("automl")
@click.option("--data", "data_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="npz file with arrays X (N, C, H, W) or (N, H, W) and y (N,) integer labels")
@click.option("--space", default="nb201", show_default=True, help="cell search space")
@click.option("--budget", default="30m", show_default=True, help="wall-clock budget, e.g. 30m, 90s, 1h")
@click.option("--algorithm", default="bananas", show_default=True, help="fastnas.search algorithm")
@click.option("--epochs", default=12, show_default=True, type=click.IntRange(min=1), help="epochs per candidate")
@click.option("--width", default=8, show_default=True, type=click.IntRange(min=1),
              help="channels of the first stage")
@click.option("--proxy", default="synflow", show_default=True, help="zero-cost proxy for pre-screening")
@click.option("--prescreen", "n_prescreen", default=200, show_default=True, type=click.IntRange(min=0),
              help="cells scored by the proxy before any training")
@click.option("--max-candidates", default=None, type=click.IntRange(min=1), help="stop after this many trained candidates")
@click.option("--no-early-stop", is_flag=True, help="train every candidate for all epochs")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--device", default=None, help="cpu, cuda, cuda:1 (default: CUDA when available)")
@click.option("--threads", default=None, type=click.IntRange(min=1),
              help="torch CPU threads (1 avoids oversubscription on shared machines)")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="candidates trained in parallel (Ray)")
@click.option("--out", "out_dir", default="automl-out", show_default=True,
              help="checkpoint and report folder (a rerun with the same settings resumes)")
@click.option("--fresh", is_flag=True, help="ignore a checkpoint in --out and start over")
@click.option("--quiet", is_flag=True, help="no progress output")
def automl_cmd(data_path, space, budget, algorithm, epochs, width, proxy, n_prescreen, max_candidates,
               no_early_stop, seed, device, threads, workers, out_dir, fresh, quiet):
    """Search a network for your image dataset (zero-cost pre-screening + NAS with real training)."""
    from fastnas import automl
    from fastnas._safeload import npz_arrays

    try:
        arrays = npz_arrays(data_path, ("X", "y"), "data file")
    except ValueError as exc:
        raise click.BadParameter(_one_line(exc), param_hint="--data") from None
    X, y = arrays["X"], arrays["y"]
    _writable_dir(out_dir, "--out")
    res = automl.run(X, y, space=space, budget=budget, algorithm=algorithm, epochs=epochs, width=width,
                     proxy=proxy, n_prescreen=n_prescreen, max_candidates=max_candidates,
                     early_stop=not no_early_stop, seed=seed, device=device, threads=threads,
                     workers=workers, out_dir=out_dir, resume=not fresh, progress=not quiet)
    click.echo(f"best: {res.best_arch}  validation accuracy {res.best_val_acc:.4f}")
    click.echo(f"report: {res.files.get('report', '')}")


if __name__ == "__main__":  # pragma: no cover
    main()
