// a batch of notifications only: no answer at all
>> [{"jsonrpc":"2.0","method":"eth_chainId"},{"jsonrpc":"2.0","method":"eth_noSuchMethod"}]
