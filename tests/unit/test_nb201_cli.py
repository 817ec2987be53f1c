"""``fastnas nb201 convert``."""
from click.testing import CliRunner

from fastnas.cli import main


def test_convert_naslib_key():
    out = CliRunner().invoke(main, ["nb201", "convert", "--from", "naslib", "(4, 3, 3, 3, 2, 3)", "--to", "string",
                                    "--to", "naszilla", "--to", "valid"])
    assert out.exit_code == 0, out.output
    lines = out.output.strip().splitlines()
    assert lines[0] == "string\tnaszilla\tvalid"
    assert lines[1] == ("|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_3x3~1|"
                        "nor_conv_1x1~2|\t0,1,1,1,2,1\tTrue")


def test_convert_index_round_trip_and_bad_input():
    out = CliRunner().invoke(main, ["nb201", "convert", "--from", "index", "0", "--to", "string"])
    assert out.exit_code == 0
    s = out.output.strip().splitlines()[1]
    back = CliRunner().invoke(main, ["nb201", "convert", s, "--to", "index"])
    assert back.output.strip().splitlines()[1] == "0"
    bad = CliRunner().invoke(main, ["nb201", "convert", "--from", "index", "15625"])
    assert bad.exit_code == 2 and "out of range" in bad.output
