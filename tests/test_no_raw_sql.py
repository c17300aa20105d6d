"""No SQL is built from input anywhere in the package (SPEC §6 "Input validation").

Every query goes through the ORM (filters compile to `Q` objects, ordering to `F`/`OrderBy`). This
test reads the package's source and fails on anything that could put text into SQL by hand:
`QuerySet.raw()`, `QuerySet.extra()`, `RawSQL(...)`, custom SQL templates on expressions, and a
`cursor.execute()` / `executemany()` / `executescript()` whose SQL is not a constant string
(an f-string, `%` or `+` formatting, `.format()`, or a name that is not a module constant).
Parameters (`cursor.execute(CONSTANT, [value])`) are how values travel, and are allowed.

An exception must be listed in ALLOWED with the reason it is safe.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "django_graphql_auto"

#: (path relative to the package, line text stripped) -> why it is safe.
_PASSED_THROUGH = (
    "the preparing cursor's execute() passes on the SQL and parameters Django's cursor wrapper "
    "hands it (the ORM compiled them); it chooses only how they are bound and whether prepared"
)
ALLOWED: dict[tuple[str, str], str] = {
    (
        "execution/prepared.py",
        "return super().execute(bound, None, prepare=False, **kwargs)",
    ): _PASSED_THROUGH + "; `bound` is psycopg's client-side binding, as Django's own cursor does",
    (
        "execution/prepared.py",
        "super().execute(query, params, prepare=prepare, **kwargs)",
    ): _PASSED_THROUGH,
    (
        "execution/prepared.py",
        "super().execute(query, params, prepare=False, **kwargs)",
    ): _PASSED_THROUGH + " (run again, unprepared, after PostgreSQL refused a stale plan)",
}

RAW_METHODS = {"raw", "extra"}
EXECUTE_METHODS = {"execute", "executemany", "executescript"}
RAW_NAMES = {"RawSQL"}
TEMPLATE_KEYWORDS = {"template", "sql_template"}


def _constants(tree: ast.Module) -> set[str]:
    """Module-level names bound once to a constant string (implicit concatenation included)."""
    bound: dict[str, int] = {}
    constant: set[str] = set()
    for node in tree.body:
        targets, value = [], None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        for target in targets:
            if isinstance(target, ast.Name):
                bound[target.id] = bound.get(target.id, 0) + 1
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    constant.add(target.id)
    return {name for name in constant if bound[name] == 1}


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _problems(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    constants = _constants(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        is_method = isinstance(node.func, ast.Attribute)
        if is_method and name in RAW_METHODS:
            found.append((node.lineno, f".{name}() builds SQL by hand"))
        elif name in RAW_NAMES:
            found.append((node.lineno, f"{name}() builds SQL by hand"))
        elif any(keyword.arg in TEMPLATE_KEYWORDS for keyword in node.keywords):
            found.append((node.lineno, "an SQL template passed to an expression"))
        elif is_method and name in EXECUTE_METHODS:
            sql = node.args[0] if node.args else None
            safe = (isinstance(sql, ast.Constant) and isinstance(sql.value, str)) or (
                isinstance(sql, ast.Name) and sql.id in constants
            )
            if not safe:
                found.append((node.lineno, f".{name}() with SQL that is not a constant string"))
    return found


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_sql_is_built_by_hand(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    relative = str(path.relative_to(PACKAGE))
    offending = [
        f"{relative}:{line}: {why}: {lines[line - 1].strip()}"
        for line, why in _problems(path)
        if (relative, lines[line - 1].strip()) not in ALLOWED
    ]
    assert not offending, "\n".join(offending)


@pytest.mark.parametrize(
    "source",
    [
        "Post.objects.raw('SELECT * FROM post')",
        "Post.objects.extra(where=['1=1'])",
        "Post.objects.annotate(x=RawSQL('1', []))",
        "cursor.execute(f'SELECT {name}')",
        "cursor.execute('SELECT %s' % name)",
        "cursor.execute('SELECT ' + name)",
        "cursor.execute('SELECT {}'.format(name))",
        "cursor.execute(query)",
        "Func(F('x'), template='%(expressions)s')",
    ],
)
def test_the_checker_catches_hand_built_sql(source, tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(source + "\n")
    assert _problems(sample)


def test_the_checker_allows_constants_with_parameters(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "SQL = (\n    'SELECT set_config(%s, %s, true)'\n)\n"
        "cursor.execute(SQL, ['statement_timeout', value])\n"
        "cursor.execute('SELECT 1')\n"
    )
    assert _problems(sample) == []


def test_the_allow_list_is_not_stale():
    for relative, line in ALLOWED:
        path = PACKAGE / relative
        assert path.exists() and any(line == text.strip() for text in path.read_text().splitlines())
