// Each test starts a sample that measures itself; running them one at a time keeps their numbers and
// their time budgets meaningful on a small machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
