"""The speed benchmark's rounds: how repeated, interleaved measurements become one row."""
import pytest

from benchmark import speed


def _run(ms, mb=800.0):
    return {"experiment": "sinusoid", "order": "second", "ms_per_iteration": ms, "peak_rss_mb": mb}


def test_a_row_is_its_median_round_with_every_round_and_the_highest_memory():
    row = speed.median_round([_run(0.50, 700.0), _run(0.39, 760.0), _run(0.43, 740.0)])
    assert row["ms_per_iteration"] == 0.43
    assert row["ms_per_iteration_rounds"] == [0.50, 0.39, 0.43]
    assert row["peak_rss_mb"] == 760.0


def test_an_even_number_of_rounds_reports_a_measured_round_not_an_average():
    row = speed.median_round([_run(0.40), _run(0.50), _run(0.30), _run(0.60)])
    assert row["ms_per_iteration"] == 0.40  # the lower middle: 0.45 was never measured


def test_zero_rounds_is_refused_before_anything_runs(capsys):
    with pytest.raises(SystemExit):
        speed.main(["--rounds", "0"])
    assert "--rounds must be at least 1" in capsys.readouterr().err


def test_the_cpu_model_is_read_from_proc_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R45\n")
    assert speed.cpu_model(cpuinfo) == "AMD EPYC 9R45"
    # no such file (not Linux): the architecture, not an error
    assert speed.cpu_model(tmp_path / "absent") == (speed.platform.processor()
                                                    or speed.platform.machine())
