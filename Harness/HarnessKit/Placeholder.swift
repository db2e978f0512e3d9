/// Placeholder: the scenario runner lives here.
enum HarnessPlaceholder {}
