"""Django migration operations reported at the line naming what they destroy, and data migrations
deleting rows (classes seen on the real history of a web application with database migrations,
docs/risk-evaluation.md).

Every case is a hand-made diff shaped like the real commits; no rule is keyed to a commit,
a repository or a file name seen there.
"""

from __future__ import annotations

from reviewer_app.core.risk import load_rules
from reviewer_app.core.risk.engine import FileContext, evaluate, evaluate_rule
from reviewer_app.core.risk.findings import Finding
from reviewer_app.core.risk.hits import prepare
from reviewer_app.core.risk.removals import ChangeAddedLines
from tests.core.risk.diffs import change_of, file_from, line_rule, one_file_change

RULES = load_rules(None)
MIGRATION = "shop/orders/migrations/0040_order_remove_legacy_fields.py"

REMOVE_FIELDS = """
+from django.db import migrations
+
+
+class Migration(migrations.Migration):
+
+    dependencies = [
+        ('orders', '0039_unique_constraints'),
+    ]
+
+    operations = [
+        migrations.RemoveField(
+            model_name='order',
+            name='coupon_code',
+        ),
+        migrations.RemoveField(model_name='order', name='legacy_total'),
+        migrations.RemoveField("order", "gift_note"),
+    ]
"""

DELETE_MODEL = """
+    operations = [
+        migrations.DeleteModel(
+            name='JobResult',
+        ),
+    ]
"""




def text_at(path: str, example: str, finding: Finding) -> str:
    """The text of the line a finding is drawn at (hunks of ``file_from`` start at line 10; the
    examples given here have no removed lines, so both sides number alike)."""
    lines = [raw[1:] for raw in example.strip("\n").split("\n")]
    return lines[finding.line - 10]


# -- a Django operation is reported at the line naming the column or table -------------------------

def test_remove_field_is_drawn_at_the_name_of_the_dropped_column() -> None:
    findings = line_rule("DB-DROP-COLUMN", MIGRATION, REMOVE_FIELDS, status="added")
    texts = [text_at(MIGRATION, REMOVE_FIELDS, f).strip() for f in findings]
    assert texts == ["name='coupon_code',",
                     "migrations.RemoveField(model_name='order', name='legacy_total'),",
                     'migrations.RemoveField("order", "gift_note"),']
    # The span shown is the name itself, not the whole line.
    first, second, third = findings
    line = text_at(MIGRATION, REMOVE_FIELDS, second)
    assert line[second.start:second.end] == "name='legacy_total'"
    assert first.severity == second.severity == third.severity == "high"


def test_delete_model_is_drawn_at_the_name_of_the_dropped_table() -> None:
    [finding] = line_rule("DB-DROP-TABLE", MIGRATION, DELETE_MODEL, status="added")
    assert text_at(MIGRATION, DELETE_MODEL, finding).strip() == "name='JobResult',"
    assert finding.severity == "critical"


def test_adding_a_field_or_a_model_is_no_drop() -> None:
    added = """
+    operations = [
+        migrations.AddField(
+            model_name='order',
+            name='coupon_code',
+            field=models.CharField(max_length=50, blank=True),
+        ),
+        migrations.CreateModel(
+            name='JobResult',
+            fields=[],
+        ),
+    ]
"""
    assert line_rule("DB-DROP-COLUMN", MIGRATION, added, status="added") == []
    assert line_rule("DB-DROP-TABLE", MIGRATION, added, status="added") == []


def test_an_operation_in_a_comment_is_still_silent_after_anchoring() -> None:
    commented = """
+    operations = [
+        # migrations.RemoveField(
+        #     model_name='order',
+        #     name='coupon_code',
+        # ),
+    ]
"""
    assert line_rule("DB-DROP-COLUMN", MIGRATION, commented, status="added") == []


# -- a data migration deleting rows ----------------------------------------------------------------

DATA_MIGRATION = """
+def update_content_types(apps, schema_editor):
+    ContentType = apps.get_model('contenttypes', 'ContentType')
+    ContentType.objects.filter(app_label='billing', model='invoice').delete()
+    ContentType.objects.filter(app_label='orders', model='invoice').update(app_label='billing')
"""


def test_a_data_migration_deleting_rows_is_drawn_at_the_delete() -> None:
    [finding] = line_rule("DB-DATA-MIGRATION-DELETE", MIGRATION, DATA_MIGRATION, status="added")
    assert ".delete()" in text_at(MIGRATION, DATA_MIGRATION, finding)
    assert finding.severity == "high"


def test_rows_updated_in_a_migration_or_deleted_in_a_view_are_not_a_data_migration_delete() -> None:
    updated = "+    ContentType.objects.filter(app_label='orders').update(app_label='billing')"
    assert line_rule("DB-DATA-MIGRATION-DELETE", MIGRATION, updated, status="added") == []
    delete = "+        Order.objects.filter(status='draft').delete()"
    assert "DB-DATA-MIGRATION-DELETE" in rules_fired(MIGRATION, delete)  # the same line where it counts
    assert "DB-DATA-MIGRATION-DELETE" not in rules_fired("shop/orders/views.py", delete)
    assert "DB-DATA-MIGRATION-DELETE" not in rules_fired("shop/orders/tests/migrations/test_0040.py", delete)


def rules_fired(path: str, example: str) -> set[str]:
    """The rules the whole engine (path filters included) fires on one added file."""
    return {f.rule for f in evaluate(one_file_change(path, example, status="added"), RULES)}


# -- Go: an error collected through &err and lost; a mutex replaced by atomics ---------------------

NOTIFIER = "notify/pager/pager.go"


def test_an_error_out_parameter_overwritten_before_a_check_is_drawn_at_the_ampersand_line() -> None:
    lost = """
 	var (
+		err  error
+		data = notify.GetTemplateData(ctx, n.tmpl, alert, n.logger)
+		tmpl = notify.TmplText(n.tmpl, data, &err)
 	)
+	client, err := n.createClient(tmpl)
"""
    [finding] = line_rule("GO-ERR-OVERWRITTEN-UNCHECKED", NOTIFIER, lost)
    assert "&err" in text_at(NOTIFIER, lost, finding)
    assert finding.severity == "high"


def test_an_error_out_parameter_checked_before_the_next_assignment_is_fine() -> None:
    checked = """
+		tmpl = notify.TmplText(n.tmpl, data, &err)
+	)
+	key := tmpl(n.conf.RoutingKey)
+	if err != nil {
+		return false, errors.Wrap(err, "execute 'routing_key' template")
+	}
+	client, err := n.createClient(key)
"""
    assert line_rule("GO-ERR-OVERWRITTEN-UNCHECKED", NOTIFIER, checked) == []
    # An error value compared, not assigned, is no overwrite; nor is a different variable.
    compared = "+	decode(body, &err)\n+	if err == nil {\n+		return nil\n+	}"
    assert line_rule("GO-ERR-OVERWRITTEN-UNCHECKED", NOTIFIER, compared) == []
    other = "+	decode(body, &errResp)\n+	resp, err := client.Do(req)"
    assert line_rule("GO-ERR-OVERWRITTEN-UNCHECKED", NOTIFIER, other) == []


def test_a_mutex_replaced_by_atomics_in_one_edit_is_high_at_the_atomic_field() -> None:
    swapped = """
 type group struct {
-	mtx sync.RWMutex
-	labels model.LabelSet
+	labels    atomic.Pointer[renderedLabels]
+	labelsGen atomic.Uint64
 }
"""
    findings = line_rule("GO-LOCK-REPLACED-BY-ATOMICS", "dispatch/group.go", swapped)
    # Drawn at the two atomic fields (new-side lines 11 and 12, after the unchanged "type" line).
    assert [(f.side, f.line, f.severity) for f in findings] == [("new", 11, "high"), ("new", 12, "high")]
    assert "removes the mutex" in findings[0].message


def test_an_atomic_added_beside_a_kept_mutex_stays_low() -> None:
    beside = """
 type group struct {
 	mtx sync.RWMutex
+	running atomic.Bool
 }
"""
    [finding] = line_rule("GO-LOCK-REPLACED-BY-ATOMICS", "dispatch/group.go", beside)
    assert finding.severity == "low"
    assert line_rule("GO-LOCK-REPLACED-BY-ATOMICS", "dispatch/group.go", "+	running bool") == []


# -- a squashed migration replacing the history --------------------------------------------------

def test_a_squashed_migration_is_drawn_at_its_replaces_list() -> None:
    squashed = """
+class Migration(migrations.Migration):
+
+    replaces = [
+        ('orders', '0001_initial'),
+        ('orders', '0002_auto_20160622_1821'),
+    ]
"""
    [finding] = line_rule("DB-MIGRATIONS-SQUASHED", "shop/orders/migrations/0001_squashed.py", squashed, status="added")
    assert text_at("", squashed, finding).strip() == "replaces = ["
    assert finding.severity == "high"


def test_an_ordinary_migration_or_a_replaces_outside_migrations_is_no_squash() -> None:
    ordinary = "+    dependencies = [\n+        ('orders', '0001_initial'),\n+    ]"
    assert "DB-MIGRATIONS-SQUASHED" not in rules_fired("shop/orders/migrations/0002_order_note.py", ordinary)
    assert "DB-MIGRATIONS-SQUASHED" not in rules_fired("shop/orders/utils.py", "+    replaces = [old, new]")


# -- a hand-written authentication path -------------------------------------------------------------

MIXIN = """
+class TokenConditionalLoginRequiredMixin(ConditionalLoginRequiredMixin):
+    def dispatch(self, request, *args, **kwargs):
+        # Attempt to authenticate the user using a token, if provided
+        if settings.LOGIN_REQUIRED and not request.user.is_authenticated:
+            auth_info = TokenAuthentication().authenticate(request)
+            if auth_info is not None:
+                request.user = auth_info[0]
+        return super().dispatch(request, *args, **kwargs)
"""


def test_a_new_class_setting_the_request_user_is_drawn_at_the_class() -> None:
    [finding] = line_rule("AUTH-USER-SET-BY-HAND", "shop/utilities/views.py", MIXIN)
    assert text_at("", MIXIN, finding).startswith("class TokenConditionalLoginRequiredMixin(")
    assert finding.severity == "high"
    # Without its class in the diff, the assignment itself is the finding.
    lone = "+            request.user = auth_info[0]"
    [alone] = line_rule("AUTH-USER-SET-BY-HAND", "shop/utilities/views.py", lone)
    assert alone.line == 10 and alone.severity == "high"


def test_reading_or_comparing_the_request_user_is_no_authentication_path() -> None:
    reading = """
+class OrderLoginView(View):
+    def get(self, request):
+        if request.user == self.order.owner:
+            user = request.user
+        return render(request, "order.html", {"user": user})
"""
    assert line_rule("AUTH-USER-SET-BY-HAND", "shop/orders/views.py", reading) == []
    assert "AUTH-USER-SET-BY-HAND" not in rules_fired("shop/orders/tests/test_views.py", MIXIN)


# -- Go: a type's custom wire format removed -----------------------------------------------------

MARSHAL = """
-func (re Regexp) MarshalJSON() ([]byte, error) {
-	if re.original != "" {
-		return json.Marshal(re.original)
-	}
-	return nil, nil
-}
"""


def test_a_removed_marshal_method_is_drawn_at_its_signature() -> None:
    [finding] = line_rule("GO-WIRE-FORMAT-METHOD-REMOVED", "config/config.go", MARSHAL)
    assert (finding.side, finding.line, finding.severity) == ("old", 10, "high")


def test_a_marshal_method_moved_to_another_file_is_no_removal() -> None:
    moved = file_from("config/regexp.go", MARSHAL.replace("\n-", "\n+"), status="added")
    change = change_of(file_from("config/config.go", MARSHAL), moved)
    assert "GO-WIRE-FORMAT-METHOD-REMOVED" not in {f.rule for f in evaluate(change, RULES)}
    assert line_rule("GO-WIRE-FORMAT-METHOD-REMOVED", "config/config.go", "-func (re Regexp) String() string {") == []


def test_a_marshal_method_kept_while_its_type_is_renamed_is_no_removal() -> None:
    renamed = """
-func (o *EventRecorderOutput) UnmarshalYAML(unmarshal func(any) error) error {
-	type plain EventRecorderOutput
+func (o *Output) UnmarshalYAML(unmarshal func(any) error) error {
+	type plain Output
"""
    assert line_rule("GO-WIRE-FORMAT-METHOD-REMOVED", "recorder/config.go", renamed) == []
