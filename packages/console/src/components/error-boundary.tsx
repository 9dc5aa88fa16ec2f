// Shows what went wrong, instead of a blank page, when a view throws while rendering.
import { Component, type ReactNode } from "react";
import { href } from "../routing/routes.js";

interface State {
  error: Error | undefined;
}

/**
 * React unmounts the whole tree when rendering throws and nothing catches it: the user sees an empty
 * page. This catches it, says what failed and offers a way on; any navigation tries again.
 */
export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: undefined };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidMount(): void {
    window.addEventListener("hashchange", this.retry);
  }

  override componentWillUnmount(): void {
    window.removeEventListener("hashchange", this.retry);
  }

  private readonly retry = () => {
    if (this.state.error) this.setState({ error: undefined });
  };

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="detail">
        <h2>This page could not be shown</h2>
        <div className="error" role="alert">
          {error.message || error.name}
        </div>
        <p>If it happens again, report the address of this page and the message above.</p>
        <div className="row actions">
          <a className="button" href={href.list("data")}>
            Go to the Data list
          </a>
          <button type="button" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      </div>
    );
  }
}
