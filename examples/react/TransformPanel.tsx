import { type FormEvent, useState } from 'react';
import { useImageToImage } from '../../src/react/index.js';
import { describeError } from './describe-error.js';

/** Upload a picture when it is picked, transform it on submit. */
export function TransformPanel() {
  const [prompt, setPrompt] = useState('');
  const i2i = useImageToImage();
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void i2i.transform({ prompt });
  };
  return (
    <section aria-labelledby="i2i-title">
      <h2 id="i2i-title">Transform an image</h2>
      <form onSubmit={onSubmit}>
        <label>
          Picture (JPEG, PNG or WebP)
          <input
            type="file"
            accept="image/jpeg,image/png,image/webp"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void i2i.uploadFile(file);
            }}
            data-testid="file-input"
          />
        </label>
        <label>
          Prompt <input value={prompt} onChange={(e) => setPrompt(e.target.value)} required data-testid="i2i-prompt" />
        </label>
        <button type="submit" disabled={!i2i.upload || i2i.stage === 'transforming'} data-testid="i2i-submit">
          Transform · 2 credits
        </button>
      </form>
      <progress max={100} value={i2i.progress} aria-label="Upload and transform" data-testid="i2i-progress" />
      <p className="muted" data-testid="i2i-stage">
        {i2i.stage}
      </p>
      {i2i.error != null && (
        <p className="error" role="alert" data-testid="error">
          {describeError(i2i.error)}
        </p>
      )}
      {i2i.result && <img src={i2i.result.image_url} alt="The transformed result" data-testid="i2i-image" />}
    </section>
  );
}
