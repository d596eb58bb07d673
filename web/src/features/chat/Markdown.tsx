// The model's text as Markdown, safely: no raw HTML is ever rendered (no rehype-raw; HTML in the
// text is dropped), links get rel=noopener and open in a new tab, and react-markdown's URL
// filter removes javascript: and other unsafe links.
import { memo } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';

const components: Components = {
  a: ({ node: _node, ...props }) => <a {...props} target="_blank" rel="noopener noreferrer nofollow" />,
  img: ({ node: _node, alt }) => <span className="muted">[image{alt ? `: ${alt}` : ''}]</span>,
  table: ({ node: _node, ...props }) => (
    <div className="md-table">
      <table {...props} />
    </div>
  ),
};

export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={[remarkGfm]} components={components} skipHtml>
        {text}
      </ReactMarkdown>
    </div>
  );
});
