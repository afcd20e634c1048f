<?php
/**
 * Prints the PHP API of the agent_oauth_php extension as Reflection sees it:
 * classes, parents, constants, protected properties with defaults, methods
 * with modifiers, parameter names, types and defaults, and return types.
 *
 *   php -d extension=.../libagent_oauth_php.so dump-api.php      # the extension
 *   php -n dump-api.php agent_oauth.stub.php                      # the stub
 *
 * Equal output means the stub documents exactly what the extension exposes.
 */

declare(strict_types=1);

if (isset($argv[1])) {
    require $argv[1];
}

$classes = array_values(array_filter(
    get_declared_classes(),
    static fn (string $c): bool => str_starts_with($c, 'AgentOauth\\')
        && !str_starts_with($c, 'AgentOauth\\Tests\\')
        && !(new ReflectionClass($c))->isAnonymous(),
));
sort($classes);

echo 'const AgentOauth\\VERSION = ', var_export(constant('AgentOauth\\VERSION'), true), "\n";
foreach ($classes as $class) {
    $r = new ReflectionClass($class);
    $parent = $r->getParentClass();
    echo $r->isFinal() ? 'final ' : '', "class $class", $parent ? ' extends ' . $parent->getName() : '', "\n";
    foreach ($r->getReflectionConstants() as $constant) {
        if ($constant->getDeclaringClass()->getName() === $class) {
            echo '  const ', $constant->getName(), ' = ', var_export($constant->getValue(), true), "\n";
        }
    }
    $defaults = $r->getDefaultProperties();
    foreach ($r->getProperties() as $property) {
        if ($property->getDeclaringClass()->getName() === $class && $property->isProtected()
            && !in_array($property->getName(), ['message', 'code', 'file', 'line'], true)) {
            echo '  protected $', $property->getName(), ' = ', var_export($defaults[$property->getName()] ?? null, true), "\n";
        }
    }
    $methods = array_filter(
        $r->getMethods(),
        static fn (ReflectionMethod $m): bool => $m->getDeclaringClass()->getName() === $class,
    );
    usort($methods, static fn ($a, $b): int => strcmp($a->getName(), $b->getName()));
    foreach ($methods as $method) {
        $parameters = array_map(static function (ReflectionParameter $p): string {
            $text = ($p->getType() ?? 'mixed') . ' $' . $p->getName();
            if ($p->isOptional()) {
                $text .= ' = ' . ($p->isDefaultValueAvailable() ? var_export($p->getDefaultValue(), true) : '?');
            }
            return $text;
        }, $method->getParameters());
        echo '  ', implode(' ', Reflection::getModifierNames($method->getModifiers())), ' function ',
            $method->getName(), '(', implode(', ', $parameters), ')',
            $method->hasReturnType() ? ': ' . $method->getReturnType() : '', "\n";
    }
}
