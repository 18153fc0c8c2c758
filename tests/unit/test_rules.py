import shutil

import pytest

from pipelines.rules import RulesError, load_rules


def test_repo_rules_load(rules):
    assert set(rules.sources) == {"salesforce", "hubspot", "wukong", "shopify", "zendesk"}
    assert rules.validation["no_identity"].action == "quarantine"
    assert rules.validation["invalid_email"].action == "flag"
    assert {s.delivery for s in rules.sources.values()} == {"changes"}   # the default: a night holds changes


def test_typo_names_file_line_and_key(tmp_path, rules):
    folder = tmp_path / "rules"
    shutil.copytree(rules.folder, folder)
    text = (folder / "sources.yaml").read_text(encoding="utf-8").replace("    format: xlsx", "    fromat: xlsx")
    (folder / "sources.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_rules(folder)
    message = str(err.value)
    assert "sources.yaml:" in message and "fromat" in message and "sources.wukong" in message


def test_a_yaml_syntax_error_names_its_line(tmp_path, rules):
    folder = tmp_path / "rules"
    shutil.copytree(rules.folder, folder)
    text = (folder / "sources.yaml").read_text(encoding="utf-8").splitlines()
    text.insert(4, "\tbad: 1")   # a tab where YAML wants spaces
    (folder / "sources.yaml").write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"sources\.yaml:5: not valid YAML \(column 1\)"):
        load_rules(folder)


def test_an_unclosed_quote_names_the_line_it_opens_on(tmp_path, rules):
    """YAML fails lines further down (at the next quote's neighbour): the message named that line only."""
    folder = tmp_path / "rules"
    shutil.copytree(rules.folder, folder)
    lines = (folder / "sources.yaml").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if "file_pattern:" in line and line.endswith('"'))
    lines[at] = lines[at][:-1]
    (folder / "sources.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RulesError, match=rf"sources\.yaml:{at + 1}: not valid YAML: a quote opened on this line"):
        load_rules(folder)


def test_a_rules_file_saved_in_gbk_names_the_file_and_line(tmp_path, rules):
    """Notepad's 'ANSI' on a Chinese Windows saves GB18030: a UnicodeDecodeError without file or line failed the
    stage."""
    folder = tmp_path / "rules"
    shutil.copytree(rules.folder, folder)
    text = (folder / "standardization.yaml").read_text(encoding="utf-8")
    (folder / "standardization.yaml").write_bytes(text.encode("gb18030"))
    line = text[:min(i for i, c in enumerate(text) if ord(c) > 127)].count("\n") + 1
    with pytest.raises(RulesError, match=rf"standardization\.yaml:{line}: not UTF-8"):
        load_rules(folder)


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


@pytest.mark.parametrize("old, new, said", [
    ("    phone_region: US\n", "    phone_region: USA\n", "sources.salesforce.phone_region: 'USA' is not a region"),
    ("    day_first: false\n", '    day_first: "no"\n', "sources.salesforce.day_first: expected true or false"),
    ("    encoding: auto\n", "    encoding: utf9\n", "sources.salesforce.encoding: unknown encoding 'utf9'"),
    ("    delimiter: auto\n", "    delimiter: ';;'\n", "sources.salesforce.delimiter: a delimiter is one character"),
    ("    record_id: [Id, Contact ID]\n", "    record_id: {Id: 1}\n", "sources.salesforce.record_id: expected one text"),
    ("    footer_lines: ['^Confidential", "    footer_lines: ['(unclosed', '^Confidential",
     "sources.salesforce.footer_lines: '(unclosed' is not a regular expression"),
    ("    record_id: [Id, Contact ID]\n", "    record_id: [Id, Contact ID]\n    header_row: second\n",
     "sources.salesforce.header_row: expected a whole number"),
    ("    record_id: [Id, Contact ID]\n", "    record_id: [Id, Contact ID]\n    trust: 99\n", "ranked for survivorship in survivorship.yaml"),
    ("    record_id: [Id, Contact ID]\n", "    record_id: [Id, Contact ID]\n    header_row: 0\n", "rows are numbered from 1"),
    ('    file_pattern: ["*.csv", "*.xlsx"]\n', "    file_pattern:\n", "sources.salesforce.file_pattern: give a value"),
    ("      full_name: [Name, Full Name]\n", "      full_name:\n", "sources.salesforce.columns.full_name: give the header"),
    ("    record_id: [Id, Contact ID]\n", "    record_id: [Id, Contact ID]\n    record_id: Contact ID\n", "key 'record_id' is given twice"),
    ("      full_name: [Name, Full Name]\n", "      full_name: [Name, Full Name, email]\n",
     "header 'Email' is already mapped to full_name"),
    ("    record_id: [Id, Contact ID]\n", "    record_id: [Id, Contact ID]\n    delivery: snapshot\n",
     "sources.salesforce.delivery: 'snapshot' is not one of changes, full"),
])
def test_a_mistyped_source_value_fails_at_load_naming_file_line_and_key(tmp_path, rules, old, new, said):
    folder = tmp_path / "rules"
    shutil.copytree(rules.folder, folder)
    text = (folder / "sources.yaml").read_text(encoding="utf-8")
    assert old in text
    (folder / "sources.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulesError, match="sources.yaml:[0-9]+: ") as err:
        load_rules(folder)
    assert said in str(err.value)


@pytest.mark.parametrize("new, said", [
    ("not_customers: [role]", "sources.zendesk.not_customers: expected a mapping"),
    ("not_customers: {role: agent}", "sources.zendesk.not_customers.role: expected a list of texts"),
    ("not_customers: {role: []}", "sources.zendesk.not_customers.role: expected a list of texts"),
    ("not_customers: {role: [agent, {x: 1}]}", "sources.zendesk.not_customers.role: expected a list of texts"),
    ("not_customers: {active: [false]}", "quote yes/no/true/false"),
    ("not_customers: {1: [agent]}", "sources.zendesk.not_customers.1: a header is a text"),
    ("not_customers: {role: [agent], ' ROLE': [admin]}", "header ' ROLE' is given twice"),
    ("not_customers: {ID: ['1']}", "sources.zendesk.not_customers.ID: 'ID' is the record id"),
])
def test_a_mistyped_not_customers_fails_at_load_naming_file_line_and_key(tmp_path, rules, new, said):
    folder = tmp_path / "rules"
    shutil.copytree(rules.folder, folder)
    text = (folder / "sources.yaml").read_text(encoding="utf-8")
    old = "not_customers: {role: [agent, admin]}"
    line = text[:text.index(old)].count("\n") + 1
    (folder / "sources.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulesError, match=f"sources.yaml:{line}: ") as err:
        load_rules(folder)
    assert said in str(err.value)


def test_not_customers_values_are_folded_as_data_values_are(rules):
    """The preset's values as compared: NFKC, case-folded; a source without the key has none."""
    assert rules.sources["zendesk"].not_customers == {"role": ("agent", "admin")}
    assert rules.sources["salesforce"].not_customers == {}


def test_a_source_block_copied_with_its_name_is_an_error_not_a_silent_replacement(tmp_path, rules):
    folder = tmp_path / "rules"
    shutil.copytree(rules.folder, folder)
    text = (folder / "sources.yaml").read_text(encoding="utf-8")
    block = text[text.index("  hubspot:\n"):text.index("  wukong:\n")]
    (folder / "sources.yaml").write_text(text + block, encoding="utf-8")
    with pytest.raises(RulesError, match="key 'hubspot' is given twice"):
        load_rules(folder)


@pytest.mark.parametrize("old, new, said", [
    ('file_pattern: ["*.csv", "*.xlsx"]', 'file_pattern: "exports/*.csv"', "names a folder"),
    ("  salesforce:\n", "  sales/eu:\n", "cannot be a folder's name"),
    ('"%Y-%m-%d %H:%M", ', '"yyyy-MM-dd HH:mm", ', "has no % directive"),
    ("      email: Email\n", "      email: ''\n", "give the header"),
    ('file_pattern: ["*.csv", "*.xlsx"]\n    format: auto', 'file_pattern: "*.csv"\n    format: csv\n    sheet: 1',
     "a sheet is read from workbooks"),
])
def test_settings_that_could_never_work_are_refused(tmp_path, rules, old, new, said):
    """Each loaded without a word and then matched nothing, read nothing or could never be landed."""
    folder = tmp_path / "rules"
    shutil.copytree(rules.folder, folder)
    text = (folder / "sources.yaml").read_text(encoding="utf-8")
    assert old in text
    (folder / "sources.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulesError, match=said):
        load_rules(folder)


def test_the_stewards_docs_list_every_canonical_field_a_column_can_map_to():
    """A new source's mapping is written from these lists: a field missing there is one nobody maps."""
    import re
    from pathlib import Path

    from pipelines.rules import MAPPABLE_FIELDS

    rules_dir = Path(__file__).resolve().parents[2] / "rules"
    readme = (rules_dir / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"can map a header to: (.*?)\. A field takes", readme, re.S).group(1)
    assert re.findall(r"`([a-z_]+)`", listed) == list(MAPPABLE_FIELDS)
    header = (rules_dir / "sources.yaml").read_text(encoding="utf-8")
    fields = re.search(r"The fields: (.*?) \(rules/README", header, re.S).group(1)
    assert fields.replace("#", " ").split() == list(MAPPABLE_FIELDS)
