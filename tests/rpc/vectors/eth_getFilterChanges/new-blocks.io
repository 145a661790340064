// a block filter collects the hashes of blocks sealed after it, once
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
// speconly-next: filter ids are random
>> {"jsonrpc":"2.0","id":1,"method":"eth_newBlockFilter"}
<< {"jsonrpc":"2.0","id":1,"result":"0xba15251c3960ffebc3ab6083b44cc4db"}
>> {"jsonrpc":"2.0","id":2,"method":"evm_mine","params":[1700000000]}
<< {"jsonrpc":"2.0","id":2,"result":"0x0"}
>> {"jsonrpc":"2.0","id":3,"method":"evm_mine","params":[1700000012]}
<< {"jsonrpc":"2.0","id":3,"result":"0x0"}
>> {"jsonrpc":"2.0","id":4,"method":"eth_getFilterChanges","params":["0xba15251c3960ffebc3ab6083b44cc4db"]}
<< {"jsonrpc":"2.0","id":4,"result":["0x2938724117cd5a21d312fa46b317c6beb59b007246aa65c3905c1d3e403a9162","0x353674327364783def893a7ab3bcbab23c1533c18f24dda845ebec4efbe8390f"]}
>> {"jsonrpc":"2.0","id":5,"method":"eth_getFilterChanges","params":["0xba15251c3960ffebc3ab6083b44cc4db"]}
<< {"jsonrpc":"2.0","id":5,"result":[]}
