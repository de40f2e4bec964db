using Microsoft.Extensions.Options;
using Pipeline.Configuration;

namespace Pipeline.Host.Streaming;

/// <summary>DataAnnotations rules of <see cref="StreamingOptions"/>, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class StreamingOptionsDataAnnotationsValidator : IValidateOptions<StreamingOptions>;

/// <summary>Every rule of <see cref="StreamingOptions"/>, each failure naming its key and value.</summary>
internal sealed class StreamingOptionsValidator() : SectionOptionsValidator<StreamingOptions>(StreamingOptions.Section, new StreamingOptionsDataAnnotationsValidator());
