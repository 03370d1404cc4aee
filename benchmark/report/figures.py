"""Seaborn figures: the paper's Fig. 2 (fits), Fig. 3/6 (MSE vs steps), learning curves, and
for few-shot classification accuracy vs steps and accuracy learning curves."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

MSE_AXIS_TOP = 10.0  # above every non-diverged mean (the untrained model is ~3)
# Seaborn's 95% bands are bootstrapped: a fixed seed makes the same data draw the same figure.
BOOTSTRAP_SEED = 0


def _save(fig, path) -> None:
    """PNG without the matplotlib version stamp: a figure's bytes depend on its data alone."""
    fig.savefig(path, dpi=120, metadata={"Software": None})
    plt.close(fig)


def fits(fits_by_method: dict[str, dict], path) -> None:
    """Rows: K; columns: methods. Truth, the K support points, predictions after each step."""
    methods = list(fits_by_method)
    shots = list(next(iter(fits_by_method.values()))["shots"])
    fig, axes = plt.subplots(len(shots), len(methods), figsize=(5 * len(methods), 3.6 * len(shots)),
                             squeeze=False, sharey=True)
    for col, m in enumerate(methods):
        f = fits_by_method[m]
        x = np.array(f["x"])
        truth = f["amplitude"] * np.sin(x - f["phase"])
        for row, k in enumerate(shots):
            ax, block = axes[row][col], f["shots"][k]
            ax.plot(x, truth, color="red", lw=2, label="ground truth")
            palette = sns.color_palette("Greens", len(block["pred"]) + 1)[1:]
            for colour, (steps, pred) in zip(palette, block["pred"].items(), strict=True):
                ax.plot(x, pred, "--", color=colour, lw=1.6,
                        label=f"after {steps} step{'s' if steps != '1' else ''}")
            ax.scatter(block["support_x"], block["support_y"], marker="^", color="purple",
                       zorder=5, label=f"{k} points used for gradient")
            ax.set_title(f"{m}, K={k}")
            ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    _save(fig, path)


def mse_vs_steps(per_seed: pd.DataFrame, path) -> None:
    """One panel per K: mean query MSE over test tasks vs gradient steps, band over seeds."""
    shots = sorted(per_seed.shots.unique())
    fig, axes = plt.subplots(1, len(shots), figsize=(5.2 * len(shots), 4), squeeze=False)
    for ax, k in zip(axes[0], shots, strict=True):
        sns.lineplot(data=per_seed[per_seed.shots == k], x="steps", y="mean", hue="method",
                     marker="o", markersize=4, errorbar=("ci", 95), seed=BOOTSTRAP_SEED, ax=ax)
        ax.set_yscale("log")
        ax.set_ylim(top=min(ax.get_ylim()[1], MSE_AXIS_TOP))  # diverged runs would flatten the rest
        ax.set(title=f"K={k}", xlabel="number of gradient steps", ylabel="mean squared error")
        ax.legend(fontsize=7)
    fig.tight_layout()
    _save(fig, path)


def learning_curves(curves: pd.DataFrame, path) -> None:
    """One panel per method: its own training objective vs its own step count, band over seeds.
    (Meta-trained methods log the meta-loss per meta-iteration; the multi-task baselines log each
    regressor's final MSE against the regressor steps so far.)"""
    grid = sns.relplot(data=curves, x="step", y="meta_loss", col="method", col_wrap=4, kind="line",
                       errorbar=("ci", 95), seed=BOOTSTRAP_SEED, height=2.8, aspect=1.3,
                       facet_kws={"sharex": False, "sharey": False})
    grid.set(yscale="log")
    grid.set_axis_labels("training step", "training loss (MSE)")
    _save(grid.figure, path)


def accuracy_vs_steps(steps: pd.DataFrame, path) -> None:
    """Test accuracy after 0..10 fine-tuning steps: colour per setting, line style per method
    (the mean over seeds, with a 95% band where there are several)."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    sns.lineplot(data=steps, x="steps", y="accuracy", hue="experiment", style="method",
                 markers=True, dashes=True, errorbar=("ci", 95), seed=BOOTSTRAP_SEED, ax=ax)
    ax.set(xlabel="number of gradient steps at test", ylabel="accuracy (%), 600 test tasks")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    _save(fig, path)


def accuracy_curves(curves: pd.DataFrame, path) -> None:
    """Validation accuracy (left) and meta-training loss (right) vs meta-iteration: colour per
    setting, line style per method."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    points = curves.dropna(subset=["val_accuracy"]).assign(val_accuracy=lambda d: 100 * d.val_accuracy)
    style = {"hue": "experiment", "style": "method", "errorbar": ("ci", 95), "seed": BOOTSTRAP_SEED}
    sns.lineplot(data=points, x="step", y="val_accuracy", ax=axes[0], **style)
    axes[0].set(xlabel="meta-iteration", ylabel="validation accuracy (%)")
    axes[0].legend(fontsize=7, ncol=2)
    sns.lineplot(data=curves, x="step", y="meta_loss", ax=axes[1], legend=False, **style)
    axes[1].set(xlabel="meta-iteration", ylabel="meta-training loss", yscale="log")
    fig.tight_layout()
    _save(fig, path)
