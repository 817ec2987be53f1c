"""The AutoML report: candidate table, learning curves (long format), plots (matplotlib Agg), markdown."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def tables(candidates: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per trained candidate, one row per candidate and epoch)."""
    rows, curves = [], []
    for c in candidates:
        acc = np.asarray(c["val_acc"], dtype=np.float64)
        rows.append({
            "candidate": c["index"], "arch": c["arch"], "proxy_score": c["proxy_score"],
            "epochs_trained": int(acc.size), "stopped": c["stopped"],
            "best_val_acc": float(np.max(acc)) if acc.size else np.nan,
            "final_val_acc": float(acc[-1]) if acc.size else np.nan,
            "train_seconds": c["seconds"],
        })
        for e in range(acc.size):
            curves.append({
                "candidate": c["index"], "epoch": e + 1, "train_loss": c["train_loss"][e],
                "train_acc": c["train_acc"][e], "val_loss": c["val_loss"][e], "val_acc": c["val_acc"][e],
            })
    cols = ["candidate", "epoch", "train_loss", "train_acc", "val_loss", "val_acc"]
    return pd.DataFrame(rows), pd.DataFrame(curves, columns=cols)


def write_report(out: Path, table: pd.DataFrame, curves: pd.DataFrame, *, proxy: str, title: str) -> dict:
    """Write table.csv, curves.csv, learning_curves.png, proxy_vs_accuracy.png and report.md into ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    files = {"table": out / "table.csv", "curves": out / "curves.csv",
             "learning_curves": out / "learning_curves.png", "proxy_plot": out / "proxy_vs_accuracy.png",
             "report": out / "report.md"}
    table.to_csv(files["table"], index=False)
    curves.to_csv(files["curves"], index=False)

    fig, ax = plt.subplots(figsize=(6, 4))
    best = table.loc[table["best_val_acc"].idxmax(), "candidate"] if len(table) else None
    for cand, g in curves.groupby("candidate"):
        stopped = table.loc[table["candidate"] == cand, "stopped"].iloc[0]
        style = dict(lw=2.0, color="C3", zorder=3) if cand == best else dict(lw=0.8, alpha=0.6, color="C0")
        ax.plot(g["epoch"], g["val_acc"], ls="--" if stopped == "early" else "-", **style)
    ax.set(xlabel="epoch", ylabel="validation accuracy", title=f"{title}\nlearning curves (dashed: stopped early)")
    fig.tight_layout()
    fig.savefig(files["learning_curves"], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter(table["proxy_score"], table["best_val_acc"], s=14)
    ax.set(xlabel=f"{proxy} (zero-cost)", ylabel="best validation accuracy", title="pre-screen vs trained")
    if len(table) and np.nanmin(table["proxy_score"]) > 0:
        ax.set_xscale("log")
    fig.tight_layout()
    fig.savefig(files["proxy_plot"], dpi=110)
    plt.close(fig)

    shown = table.sort_values("best_val_acc", ascending=False)
    lines = [f"# {title}", "", f"{len(table)} candidates trained; zero-cost proxy: {proxy}.", "",
             "| candidate | arch | proxy | epochs | stopped | best val acc |", "|---|---|---|---|---|---|"]
    for r in shown.itertuples():
        lines.append(f"| {r.candidate} | `{r.arch}` | {r.proxy_score:.4g} | {r.epochs_trained} | {r.stopped} | "
                     f"{r.best_val_acc:.4f} |")
    lines += ["", "![learning curves](learning_curves.png)", "", "![proxy vs accuracy](proxy_vs_accuracy.png)", ""]
    files["report"].write_text("\n".join(lines), encoding="utf-8")
    return {k: str(v) for k, v in files.items()}
