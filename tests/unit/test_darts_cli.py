"""CLI: `fastnas darts convert` and `fastnas nbgraph convert`."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from fastnas.cli import main

KEY = [l.rstrip("\n") for l in (Path(__file__).parent.parent / "data" / "nb301_keys.txt").open()
       if not l.startswith("#")][0]


def test_darts_convert_round_trip():
    r = CliRunner().invoke(main, ["darts", "convert", KEY, "--to", "genotype"])
    assert r.exit_code == 0, r.output
    geno = r.output.splitlines()[1]
    assert geno.startswith("Genotype(normal=[('max_pool_3x3', 0), ('dil_conv_3x3', 1)")
    r2 = CliRunner().invoke(main, ["darts", "convert", geno, "--from", "genotype", "--to", "zc", "--to", "valid"])
    assert r2.exit_code == 0 and r2.output.splitlines()[1] == KEY + "\tTrue"
    bad = CliRunner().invoke(main, ["darts", "convert", "[[(0, 0)]]"])
    assert bad.exit_code != 0 and "malformed" in bad.output


def test_nbgraph_convert():
    r = CliRunner().invoke(main, ["nbgraph", "convert", "link=0,1,2,3 ops=skip,skip,gcn,gcn"])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[1].split("\t") == ["link=0,1,2,3 ops=skip,skip,gcn,gcn", "88811",
                                                    "link=0,1,2,3 ops=skip,skip,gcn,gcn", "True"]
    r = CliRunner().invoke(main, ["nbgraph", "convert", "--from", "hash", "147", "--to", "string"])
    assert r.output.splitlines()[1] == "link=0,0,0,0 ops=gat,gcn,sage,fc"
    bad = CliRunner().invoke(main, ["nbgraph", "convert", "--from", "hash", "1118"])
    assert bad.exit_code != 0 and "not the key of a canonical" in bad.output
