// The model's text as Markdown, safely: no raw HTML is ever rendered (no rehype-raw; HTML in the
// text is dropped), links get rel=noopener and open in a new tab, and react-markdown's URL
// filter removes javascript: and other unsafe links.
import { memo } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';

const components: Components = {
  a: ({ node: _node, ...props }) => <a {...props} target="_blank" rel="noopener noreferrer nofollow" />,
  img: ({ node: _node, alt }) => <span className="muted">[image{alt ? `: ${alt}` : ''}]</span>,
  // Scrollable blocks take focus, so keyboard users can scroll them.
  table: ({ node: _node, ...props }) => (
    <div className="md-table" tabIndex={0} role="region" aria-label="Table">
      <table {...props} />
    </div>
  ),
  pre: ({ node: _node, ...props }) => <pre {...props} tabIndex={0} />,
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
