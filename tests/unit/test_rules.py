import shutil

import pytest

from pipelines.rules import RulesError, load_rules


def test_repo_rules_load(rules):
    assert set(rules.sources) == {"salesforce", "hubspot", "wukong"}
    assert rules.validation["no_identity"].action == "quarantine"
    assert rules.validation["invalid_email"].action == "flag"


def test_typo_names_file_line_and_key(tmp_path, rules):
    folder = tmp_path / "rules"
    shutil.copytree(rules.folder, folder)
    text = (folder / "sources.yaml").read_text(encoding="utf-8").replace("    format: xlsx", "    fromat: xlsx")
    (folder / "sources.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_rules(folder)
    message = str(err.value)
    assert "sources.yaml:" in message and "fromat" in message and "sources.wukong" in message


def test_unknown_mapped_field_rejected(tmp_path, rules):
    folder = tmp_path / "rules"
    shutil.copytree(rules.folder, folder)
    text = (folder / "sources.yaml").read_text(encoding="utf-8").replace("      email: Email\n", "      e_mail: Email\n", 1)
    (folder / "sources.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match="e_mail"):
        load_rules(folder)


def test_a_bad_date_format_names_file_line_and_format(tmp_path, rules):
    folder = tmp_path / "rules"
    shutil.copytree(rules.folder, folder)
    text = (folder / "sources.yaml").read_text(encoding="utf-8").replace(
        'date_formats: ["%Y-%m-%d %H:%M", ', 'date_formats: ["%Y-%m-%d %Q", ', 1)
    assert "%Q" in text
    (folder / "sources.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_rules(folder)
    message = str(err.value)
    assert "sources.yaml:" in message and "%Q" in message and "date_formats" in message
