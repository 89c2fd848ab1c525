"""Writing many rows at once, fast where the database allows it.

Django's `bulk_create` and `bulk_update` build one SQL text per batch, a parameter per cell
(and, for an update, a CASE per column): at 100,000 people this costs more than the database's
own work. On PostgreSQL, `insert_rows` and `update_rows` send the rows with COPY instead (one
stream, no SQL text per row); elsewhere (SQLite) they fall back on Django's bulk methods, with
the same result.

Both run inside the caller's transaction and call no `save()`, no signal: the caller sets what
`save()` would (a version, an update time). Neither validates: the rows were checked before.
"""

from django.db import connections, router
from django.db.models.expressions import RawSQL

BATCH = 500


def _postgresql(model):
    connection = connections[router.db_for_write(model)]
    return connection if connection.vendor == "postgresql" else None


def insert_rows(model, objects):
    """Insert `objects` (unsaved instances of `model`, a list) and give each its primary key,
    as `bulk_create` does. `auto_now_add` and `auto_now` fields take their value here. Returns
    `objects`."""
    if not objects:
        return objects
    connection = _postgresql(model)
    if connection is None:
        return model._default_manager.bulk_create(objects, batch_size=BATCH)
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        if meta.pk.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField"):
            # The keys, taken from the table's own sequence before the rows are sent.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(objects)],
            )
            for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
                obj.pk = pk
        fields = meta.concrete_fields
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
                )
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects


def update_rows(model, objects, field_names):
    """Write the fields `field_names` of `objects` (saved instances of `model`) as they are
    now on each object, as `bulk_update` does. Returns how many objects were sent."""
    if not objects:
        return 0
    connection = _postgresql(model)
    if connection is None:
        model._default_manager.bulk_update(objects, field_names, batch_size=BATCH)
        return len(objects)
    fields = [model._meta.get_field(name) for name in field_names]
    rows = [
        (obj.pk, *(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields))
        for obj in objects
    ]
    return _update_from_copy(model, [f.attname for f in fields], rows)


def _update_from_copy(model, names, rows):
    """PostgreSQL: the rows (primary key, then a value per name) sent by COPY to a temporary
    table, then one UPDATE … FROM it."""
    connection = _postgresql(model)
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    staging = quote(f"pti_update_{meta.db_table}")
    pk = meta.pk
    definitions = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in [pk, *fields])
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {staging} ({definitions}) ON COMMIT DROP")
        columns = ", ".join(quote(f.column) for f in [pk, *fields])
        with cursor.cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        # Every name here comes from the model's metadata, quoted: nothing from a user.
        assignments = ", ".join(f"{quote(f.column)} = s.{quote(f.column)}" for f in fields)
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM {staging} AS s "  # noqa: S608
            f"WHERE t.{quote(pk.column)} = s.{quote(pk.column)}"
        )
        cursor.execute(f"DROP TABLE {staging}")
    return len(rows)


def insert_values(model, names, rows):
    """Insert rows given as tuples of values, one per field named in `names` (attribute names:
    « household_id »), without building model instances: the other fields take their
    default, or the time now for `auto_now` and `auto_now_add` fields, computed once. Values
    are those the database takes (str, int, bool, date or ISO date text, None). Returns the
    new rows' primary keys, in the order of `rows`."""
    rows = list(rows)
    if not rows:
        return []
    connection = _postgresql(model)
    meta = model._meta
    if connection is None:
        objects = [model(**dict(zip(names, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(objects, batch_size=BATCH)
        return [obj.pk for obj in objects]
    blank = model()
    others = [f for f in meta.concrete_fields if f.attname not in names and not f.primary_key]
    constants = [f.get_db_prep_save(f.pre_save(blank, True), connection) for f in others]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in [meta.pk.attname, *names])
    columns += "".join(f", {quote(f.column)}" for f in others)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        pks = [pk for (pk,) in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(pks, rows, strict=True):
                copy.write_row((pk, *row, *constants))
    return pks


def update_values(model, names, rows):
    """Write the fields named in `names` (attribute names) of the rows whose primary key comes
    first in each of `rows`, then one value per name, as `insert_values` takes them. Returns
    how many rows were sent."""
    rows = list(rows)
    if not rows:
        return 0
    if _postgresql(model) is None:
        objects = [model(pk=pk, **dict(zip(names, values, strict=True))) for pk, *values in rows]
        model._default_manager.bulk_update(objects, names, batch_size=BATCH)
        return len(rows)
    return _update_from_copy(model, names, rows)


def among(model, keys):
    """What `filter(pk__in=…)` takes for many primary keys of `model` (an iterable of ints):
    on PostgreSQL one array parameter (`IN (SELECT unnest(%s::bigint[]))`), whose cost does
    not grow with the SQL text, instead of one parameter per key that Django and the driver
    build and parse one by one; elsewhere the list itself."""
    keys = list(keys)
    if _postgresql(model) is None:
        return keys
    return RawSQL("SELECT unnest(%s::bigint[])", [keys])


def raise_to(model, key, field, keys, value):
    """Make `field` at least `value` (a date, a number) on the rows of `model` whose `key` (the
    attname of a unique field, e.g. « beneficiary_id ») is in `keys`, inserting the rows that
    do not exist: a later value never moves back. One statement on PostgreSQL (INSERT … ON
    CONFLICT DO UPDATE … WHERE); elsewhere an update then a bulk_create. Returns nothing."""
    keys = list(keys)
    if not keys:
        return
    connection = _postgresql(model)
    manager = model._default_manager
    if connection is None:
        manager.filter(**{f"{key}__in": keys, f"{field}__lt": value}).update(**{field: value})
        manager.bulk_create(
            (model(**{key: one, field: value}) for one in keys),
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        return
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    key_column = quote(meta.get_field(key).column)
    column = quote(meta.get_field(field).column)
    with connection.cursor() as cursor:
        # Every name here comes from the model's metadata, quoted: nothing from a user.
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, {column}) "
            f"SELECT unnest(%s::bigint[]), %s "
            f"ON CONFLICT ({key_column}) DO UPDATE SET {column} = EXCLUDED.{column} "
            f"WHERE {table}.{column} < EXCLUDED.{column}",
            [keys, value],
        )
