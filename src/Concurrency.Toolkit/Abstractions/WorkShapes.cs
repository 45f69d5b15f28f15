namespace Concurrency.Toolkit;

/// <summary>Reads a <see cref="WorkShape"/>, and the input and result types, from a delegate type.</summary>
internal static class WorkShapes
{
    /// <summary>Classifies <paramref name="delegateType"/>; <see langword="false"/> when it is none of the shapes work may have.</summary>
    public static bool TryClassify(Type delegateType, out WorkShape shape, out Type input, out Type result)
    {
        shape = default;
        input = result = typeof(void);
        if (!delegateType.IsGenericType)
        {
            return false;
        }

        var definition = delegateType.GetGenericTypeDefinition();
        var args = delegateType.GetGenericArguments();
        input = args[0];
        if (definition == typeof(Action<>))
        {
            shape = WorkShape.Action;
            result = typeof(ValueTuple);
            return true;
        }

        bool withToken;
        Type returned;
        if (definition == typeof(Func<,>))
        {
            withToken = false;
            returned = args[1];
        }
        else if (definition == typeof(Func<,,>) && args[1] == typeof(CancellationToken))
        {
            withToken = true;
            returned = args[2];
        }
        else
        {
            return false;
        }

        var returnedDefinition = returned.IsGenericType ? returned.GetGenericTypeDefinition() : null;
        (shape, result) = (returned, returnedDefinition) switch
        {
            _ when returned == typeof(Task) => (withToken ? WorkShape.NoResultTaskWithToken : WorkShape.NoResultTask, typeof(ValueTuple)),
            _ when returned == typeof(ValueTask) => (withToken ? WorkShape.NoResultValueTaskWithToken : WorkShape.NoResultValueTask, typeof(ValueTuple)),
            (_, { } d) when d == typeof(Task<>) => (withToken ? WorkShape.TaskWithToken : WorkShape.Task, returned.GetGenericArguments()[0]),
            (_, { } d) when d == typeof(ValueTask<>) => (withToken ? WorkShape.ValueTaskWithToken : WorkShape.ValueTask, returned.GetGenericArguments()[0]),
            _ => (WorkShape.Function, returned),
        };

        // A token with a result that is not a task is no shape of work (and Func<TIn, TOut> is classified above).
        return !withToken || shape != WorkShape.Function;
    }

    /// <summary>Describes a task-like type that synchronous work must not return, or <see langword="null"/> for any other type.</summary>
    public static string? TaskLike(Type type)
    {
        if (typeof(Task).IsAssignableFrom(type) || type == typeof(ValueTask))
        {
            return type.IsGenericType ? $"{type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)]}<{type.GetGenericArguments()[0].Name}>" : type.Name;
        }

        return type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>)
            ? $"ValueTask<{type.GetGenericArguments()[0].Name}>"
            : null;
    }
}
